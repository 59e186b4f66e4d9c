"""Payments: completed and refunded payments, Telegram Stars invoices (orders), provider events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("charge_id", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("vip_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("vip_from", TS, nullable=True),
        sa.Column("vip_to", TS, nullable=True),
        sa.Column("points", sa.Integer(), server_default="0", nullable=False),
        sa.Column("raw", JSONB, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("refunded_at", TS, nullable=True),
        sa.Column("refunded_by", sa.String(length=64), nullable=True),
        sa.Column("shortfall", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("status IN ('completed', 'refunded')", name=op.f("ck_payments_status_known")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_payments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("provider", "charge_id", name=op.f("uq_payments_provider_charge_id")),
    )
    op.create_index("ix_payments_user_id_created_at", "payments", ["user_id", "created_at"])
    op.create_index("ix_payments_created_at", "payments", ["created_at"])
    op.create_table(
        "payment_orders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("release", sa.String(length=64), nullable=False),
        sa.Column("return_to", sa.String(length=16), server_default="", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_payment_orders_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_orders")),
    )
    op.create_table(
        "payment_events",
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("raw", JSONB, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("provider", "event_id", name=op.f("pk_payment_events")),
    )


def downgrade() -> None:
    op.drop_table("payment_events")
    op.drop_table("payment_orders")
    op.drop_index("ix_payments_created_at", table_name="payments")
    op.drop_index("ix_payments_user_id_created_at", table_name="payments")
    op.drop_table("payments")
