"""Publishing across processes: concurrent admins, a killed publish, replicas switching releases."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import sqlalchemy as sa

from engine.content.api import build_path
from engine.services.publish import PublishService
from engine.store.database import Database
from engine.store.tables import release_scenes, releases
from tests.publishing.conftest import edit

ROOT = Path(__file__).resolve().parents[2]


def child(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line(process: subprocess.Popen[str], timeout: float = 60.0) -> str:
    """One line from a child, failing (not hanging) if it never comes."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(timeout)
    if not box:
        process.kill()
        raise AssertionError(
            f"child said nothing in {timeout}s: {process.stderr.read() if process.stderr else ''}"
        )
    return box[0].strip()


async def test_concurrent_publishes_get_one_release_each(
    database: Database, story: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    import shutil

    shutil.copytree(story, other)
    edit(other / "chapters" / "01-encuentro.yaml", r"Llueve sobre la calle", "Nieva sobre la calle")
    _, first_bundle = build_path(story)
    _, second_bundle = build_path(other)
    results = await asyncio.gather(
        PublishService(database).publish(first_bundle, author="a"),
        PublishService(database).publish(second_bundle, author="b"),
    )
    assert sorted(r.status for r in results) == ["published", "published"]
    ids = sorted(r.release.id for r in results if r.release)
    assert len(ids) == 2
    async with database.connect() as conn:
        per_release = dict(
            (
                await conn.execute(
                    sa.select(release_scenes.c.release_id, sa.func.count()).group_by(
                        release_scenes.c.release_id
                    )
                )
            ).all()
        )
    assert per_release == {ids[0]: len(first_bundle.scenes), ids[1]: len(second_bundle.scenes)}


KILLED_PUBLISH = """
import asyncio, sys
from pathlib import Path
from engine.services.publish import PublishService
from engine.store.database import create_database

async def main():
    db = create_database(sys.argv[1], schema=sys.argv[2] or None)

    async def stop_here(conn):
        print("rows written, pointer not moved", flush=True)
        await asyncio.Event().wait()  # the parent kills us here

    await PublishService(db, before_activate=stop_here).publish_path(Path(sys.argv[3]), author="doomed")

asyncio.run(main())
"""


async def test_a_publish_killed_mid_transaction_leaves_the_previous_release(
    database: Database, story: Path, db_location: tuple[str, str]
) -> None:
    publisher = PublishService(database)
    first = await publisher.publish_path(story, author="test")
    edit(story / "chapters" / "01-encuentro.yaml", r"Llueve sobre la calle", "Nieva sobre la calle")
    url, schema = db_location
    process = child(KILLED_PUBLISH, url, schema, str(story))
    assert read_line(process) == "rows written, pointer not moved"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    listed = await publisher.releases()
    assert first.release is not None
    assert [(r.id, r.active) for r in listed] == [(first.release.id, True)]
    async with database.connect() as conn:
        scenes = await conn.scalar(sa.select(sa.func.count()).select_from(release_scenes))
        count = await conn.scalar(sa.select(sa.func.count()).select_from(releases))
    assert count == 1
    assert scenes == first.release.scene_count
    again = await publisher.publish_path(story, author="test")  # and publishing still works
    assert again.status == "published"


LISTENER = """
import asyncio, sys
from engine.services.releases import ActiveContent
from engine.store.database import create_database

async def main():
    db = create_database(sys.argv[1], schema=sys.argv[2] or None)
    content = ActiveContent(db, on_change=lambda rid, bundle: print("release", rid, flush=True))
    await content.start()
    print("ready", content.release_id, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_three_replicas_switch_to_a_new_release(
    database: Database, story: Path, db_location: tuple[str, str]
) -> None:
    publisher = PublishService(database)
    first = await publisher.publish_path(story, author="test")
    assert first.release is not None
    url, schema = db_location
    replicas = [child(LISTENER, url, schema) for _ in range(3)]
    try:
        for replica in replicas:
            assert read_line(replica) == f"release {first.release.id}"
            assert read_line(replica) == f"ready {first.release.id}"
        edit(story / "chapters" / "01-encuentro.yaml", r"Llueve sobre la calle", "Nieva sobre la calle")
        second = await publisher.publish_path(story, author="test")
        assert second.release is not None
        for replica in replicas:
            assert read_line(replica) == f"release {second.release.id}"
    finally:
        for replica in replicas:
            replica.kill()
            replica.wait(timeout=30)
