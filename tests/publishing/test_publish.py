"""Publishing on SQLite and PostgreSQL: releases, no-ops, dry runs, refusals, rollback, diff."""

from __future__ import annotations

import itertools
from pathlib import Path

import sqlalchemy as sa

from engine.content.api import build_path
from engine.services.clock import FixedClock
from engine.services.play import PlayService
from engine.services.publish import PublishService
from engine.services.releases import ActiveContent
from engine.store.database import Database
from engine.store.players import UserInfo
from engine.store.tables import player_states, release_scenes, releases
from tests.publishing.conftest import edit, rename_mesa

ANA = UserInfo(11, "Ana", language="es")


async def table_count(database: Database, table: sa.Table) -> int:
    async with database.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def test_publish_then_same_content_is_a_no_op(database: Database, story: Path) -> None:
    publisher = PublishService(database)
    first = await publisher.publish_path(story, author="test", notes="one")
    assert first.status == "published"
    assert first.release is not None
    assert first.release.active
    again = await publisher.publish_path(story, author="test")
    assert again.status == "unchanged"
    assert "nothing to do" in again.message
    assert await table_count(database, releases) == 1
    _, bundle = build_path(story)
    assert await table_count(database, release_scenes) == len(bundle.scenes)


async def test_dry_run_writes_nothing_and_reports_the_change(database: Database, story: Path) -> None:
    publisher = PublishService(database)
    await publisher.publish_path(story, author="test")
    edit(story / "chapters" / "01-encuentro.yaml", r"Llueve sobre la calle", "Nieva sobre la calle")
    dry = await publisher.publish_path(story, author="test", dry_run=True)
    assert dry.status == "dry_run"
    assert dry.diff is not None
    assert [t.key for t in dry.diff.texts] == ["encuentro.inicio"]
    assert await table_count(database, releases) == 1


async def _player_at(database: Database, story: Path, scene: str) -> PlayService:
    content = ActiveContent(database)
    await content.refresh()  # no watcher task: the test decides when the process looks again
    counter = itertools.count()
    play = PlayService(database, content, clock=FixedClock(), tokens=lambda: f"t{next(counter)}")
    await play.start(ANA)
    async with database.transaction() as conn:
        await conn.execute(
            sa.update(player_states).where(player_states.c.user_id == ANA.id).values(scene=scene)
        )
    return play


async def test_stranding_players_is_refused_then_forced(database: Database, story: Path) -> None:
    publisher = PublishService(database)
    await publisher.publish_path(story, author="test")
    await _player_at(database, story, "encuentro.mesa")
    rename_mesa(story, alias=False)
    refused = await publisher.publish_path(story, author="test")
    assert refused.status == "refused_compat"
    assert refused.compatibility.stranded == {"encuentro.mesa": 1}
    assert await table_count(database, releases) == 1  # nothing written
    forced = await publisher.publish_path(story, author="test", force=True)
    assert forced.status == "published"


async def test_player_mid_story_is_carried_over_by_alias(database: Database, story: Path) -> None:
    publisher = PublishService(database)
    await publisher.publish_path(story, author="test")
    play = await _player_at(database, story, "encuentro.mesa")
    rename_mesa(story, alias=True)
    outcome = await publisher.publish_path(story, author="test")
    assert outcome.status == "published"
    assert outcome.compatibility.aliased == {"encuentro.mesa": 1}
    assert isinstance(play.content, ActiveContent)
    assert await play.content.refresh()
    resumed = await play.start(ANA)
    assert resumed.view is not None
    assert resumed.view.scene == "encuentro.mesa_nueva"
    assert not resumed.view.notices  # carried by alias: no "the story changed" notice


async def test_rollback_and_diff(database: Database, story: Path) -> None:
    publisher = PublishService(database)
    first = await publisher.publish_path(story, author="test")
    edit(story / "chapters" / "01-encuentro.yaml", r"Llueve sobre la calle", "Nieva sobre la calle")
    second = await publisher.publish_path(story, author="test")
    assert first.release is not None
    assert second.release is not None
    diff = await publisher.diff(first.release.id, second.release.id)
    assert diff is not None
    assert diff.scenes.changed == ("encuentro.inicio",)
    assert diff.texts[0].before.startswith("Llueve")
    back = await publisher.rollback(first.release.id, author="test")
    assert back.status == "activated"
    listed = await publisher.releases()
    assert [r.id for r in listed if r.active] == [first.release.id]
    assert (await publisher.rollback(999, author="test")).status == "missing"


async def test_a_bundle_that_cannot_load_is_not_activated_on_a_replica(
    database: Database, story: Path
) -> None:
    publisher = PublishService(database)
    first = await publisher.publish_path(story, author="test")
    replica = ActiveContent(database)
    await replica.start()
    assert first.release is not None
    assert replica.release_id == first.release.id
    async with database.transaction() as conn:  # a release written by a future engine
        future = await conn.scalar(
            sa.insert(releases)
            .values(
                content_hash="f" * 64,
                format=99,
                bundle='{"format": 99}',
                author="future",
                notes="",
                scene_count=0,
                created_at=FixedClock().now(),
            )
            .returning(releases.c.id)
        )
        await publisher.store.activate(conn, int(future or 0), by="future", now=FixedClock().now())
    assert not await replica.refresh()
    assert replica.release_id == first.release.id  # still serving the previous release
    assert replica.load_failures == 1
    assert replica.current().content_hash == first.release.content_hash
