"""Releases: published bundles, the active pointer, and their normalized rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 15:48:38.891544
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("bundle", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("scene_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_releases_content_hash")),
    )
    op.create_table(
        "active_release",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_by", sa.String(length=128), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_active_release_single_row")),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_active_release_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_active_release")),
    )
    op.create_table(
        "release_achievements",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("achievement", sa.String(length=64), nullable=False),
        sa.Column(
            "title",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column(
            "tiers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reward_points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_achievements_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "achievement", name=op.f("pk_release_achievements")),
    )
    op.create_table(
        "release_chapters",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("chapter", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "title",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("unlock", sa.Text(), nullable=True),
        sa.Column("start_scene", sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_chapters_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "chapter", name=op.f("pk_release_chapters")),
    )
    op.create_table(
        "release_choices",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("scene", sa.String(length=160), nullable=False),
        sa.Column("choice", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "text",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("goto", sa.String(length=160), nullable=False),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("requires", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_choices_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "scene", "choice", name=op.f("pk_release_choices")),
    )
    op.create_table(
        "release_products",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column(
            "title",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("stripe_amount", sa.Integer(), nullable=True),
        sa.Column("stripe_currency", sa.String(length=3), nullable=True),
        sa.Column("stripe_interval", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_products_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "product", name=op.f("pk_release_products")),
    )
    op.create_table(
        "release_scenes",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("scene", sa.String(length=160), nullable=False),
        sa.Column("chapter", sa.String(length=64), nullable=False),
        sa.Column(
            "text",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ending", sa.String(length=16), nullable=True),
        sa.Column("media", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_scenes_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "scene", name=op.f("pk_release_scenes")),
    )


def downgrade() -> None:
    op.drop_table("release_scenes")
    op.drop_table("release_products")
    op.drop_table("release_choices")
    op.drop_table("release_chapters")
    op.drop_table("release_achievements")
    op.drop_table("active_release")
    op.drop_table("releases")
