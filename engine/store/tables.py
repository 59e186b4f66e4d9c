"""The database schema, as SQLAlchemy Core tables shared by the migrations and the repositories.

Every index says which query it serves; a table without a hot query has only its primary key.
Timestamps are timezone-aware UTC. JSON columns hold what is read and written whole (a player's story
state, an event's payload) and is never queried by its parts on a hot path.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = sa.DateTime(timezone=True)
JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _user_fk() -> sa.ForeignKey:
    # Erasing a user (/deleteme) deletes every row that is about them.
    return sa.ForeignKey("users.id", ondelete="CASCADE")


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),  # Telegram user id
    sa.Column("first_name", sa.String(128), nullable=False, server_default=""),
    sa.Column("last_name", sa.String(128)),
    sa.Column("username", sa.String(64)),
    sa.Column("language", sa.String(16)),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_seen_at", TS, nullable=False),
    sa.Column("banned", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("referred_by", sa.BigInteger),
    # /stats "players today / 7 days": range scan on last_seen_at.
    sa.Index("ix_users_last_seen_at", "last_seen_at"),
)

user_profiles = sa.Table(
    "user_profiles",
    metadata,
    sa.Column("user_id", sa.BigInteger, _user_fk(), primary_key=True),
    sa.Column("archetype", sa.String(64)),
    sa.Column("preferences", JSONB, nullable=False, default=dict),
    sa.Column("updated_at", TS, nullable=False),
)

player_states = sa.Table(
    "player_states",
    metadata,
    sa.Column("user_id", sa.BigInteger, _user_fk(), primary_key=True),
    sa.Column("release", sa.String(64), nullable=False),  # content hash the state was written on
    sa.Column("chapter", sa.String(64), nullable=False),
    sa.Column("scene", sa.String(160), nullable=False),
    sa.Column("turn", sa.Integer, nullable=False),
    sa.Column("nonce", sa.String(16), nullable=False),  # per-view token carried by buttons
    sa.Column("state", JSONB, nullable=False),  # engine.play.PlayerState.to_dict(), format-versioned
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("updated_at", TS, nullable=False),
    # Publishing counts players per scene (compatibility check) and migrates those on removed scenes.
    sa.Index("ix_player_states_scene", "scene"),
)

user_gamification = sa.Table(
    "user_gamification",
    metadata,
    sa.Column("user_id", sa.BigInteger, _user_fk(), primary_key=True),
    sa.Column("balance", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_earned", sa.Integer, nullable=False, server_default="0"),
    sa.Column("level", sa.Integer, nullable=False, server_default="1"),
    sa.Column("streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_checkin", sa.Date),
    sa.Column("vip_until", TS),
    sa.Column("economy", JSONB, nullable=False, default=dict),  # daily counters, once-rules fired
    sa.Column("updated_at", TS, nullable=False),
    sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
    # Leaderboard fallback without Redis: ORDER BY total_earned DESC LIMIT 10.
    sa.Index("ix_user_gamification_total_earned", "total_earned"),
)

points_transactions = sa.Table(
    "points_transactions",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("user_id", sa.BigInteger, _user_fk(), nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # earn | spend | purchase | refund | adjust
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("event", sa.String(40)),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("balance_after", sa.Integer, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("idempotency_key"),
    # `diana users show` (last transactions) and `diana economy verify` (sum per user).
    sa.Index("ix_points_transactions_user_id_created_at", "user_id", "created_at"),
)

user_achievements = sa.Table(
    "user_achievements",
    metadata,
    sa.Column("user_id", sa.BigInteger, _user_fk(), primary_key=True),
    sa.Column("achievement_id", sa.String(64), primary_key=True),
    sa.Column("tier", sa.String(16), primary_key=True),  # "" for an untiered achievement
    sa.Column("unlocked_at", TS, nullable=False),
)

story_decisions = sa.Table(
    "story_decisions",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("user_id", sa.BigInteger, _user_fk(), nullable=False),
    sa.Column("release", sa.String(64), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # choose | continue | say | next_chapter ...
    sa.Column("chapter", sa.String(64), nullable=False),
    sa.Column("scene", sa.String(160), nullable=False),
    sa.Column("choice", sa.String(64)),
    sa.Column("turn", sa.Integer, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    # /stats "top choices": GROUP BY scene, choice over a time window.
    sa.Index("ix_story_decisions_created_at", "created_at"),
    sa.Index("ix_story_decisions_user_id", "user_id"),
)

user_story_progress = sa.Table(
    "user_story_progress",
    metadata,
    sa.Column("user_id", sa.BigInteger, _user_fk(), primary_key=True),
    sa.Column("chapter", sa.String(64), primary_key=True),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("completed_at", TS),
    sa.Column("ending", sa.String(16)),
    # Per-chapter completion leaderboards and analytics: WHERE chapter = ? AND completed_at IS NOT NULL.
    sa.Index("ix_user_story_progress_chapter_completed_at", "chapter", "completed_at"),
)

user_character_relationships = sa.Table(
    "user_character_relationships",
    metadata,
    sa.Column("user_id", sa.BigInteger, _user_fk(), primary_key=True),
    sa.Column("character", sa.String(64), primary_key=True),
    sa.Column("bond", sa.Integer, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

user_subscriptions = sa.Table(
    "user_subscriptions",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("user_id", sa.BigInteger, _user_fk(), nullable=False),
    sa.Column("provider", sa.String(16), nullable=False),  # telegram | stripe
    sa.Column("external_id", sa.String(200), nullable=False),
    sa.Column("product_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("current_period_end", TS),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("provider", "external_id"),
    sa.Index("ix_user_subscriptions_user_id", "user_id"),
)

processed_updates = sa.Table(
    "processed_updates",
    metadata,
    sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("processed_at", TS, nullable=False),
    # Pruning old ids: DELETE WHERE processed_at < ?.
    sa.Index("ix_processed_updates_processed_at", "processed_at"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("published_at", TS),
    sa.UniqueConstraint("event_id"),
    # The relay: WHERE published_at IS NULL ORDER BY id LIMIT n (partial index: only the backlog).
    sa.Index(
        "ix_outbox_unpublished",
        "id",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    ),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("actor", sa.String(64), nullable=False),  # "cli:<os user>" or "tg:<user id>"
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(200)),
    sa.Column("details", JSONB, nullable=False, default=dict),
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_audit_log_created_at", "created_at"),
)


# -- payments (Telegram Stars, Stripe) ------------------------------------------------------------

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("provider", sa.String(16), nullable=False),  # telegram | stripe
    sa.Column("charge_id", sa.String(200), nullable=False),  # the provider's id of the money movement
    sa.Column("order_id", sa.String(200)),  # our invoice (payment_orders.id) or the provider's session
    sa.Column("user_id", sa.BigInteger, _user_fk(), nullable=False),
    sa.Column("product_id", sa.String(64), nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),  # minor units (XTR: stars)
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # completed | refunded
    sa.Column("vip_days", sa.Integer, nullable=False, server_default="0"),
    # The VIP interval this payment added (a refund takes back exactly its length).
    sa.Column("vip_from", TS),
    sa.Column("vip_to", TS),
    sa.Column("points", sa.Integer, nullable=False, server_default="0"),
    sa.Column("raw", JSONB, nullable=False),  # the provider's record of the payment, as received
    sa.Column("created_at", TS, nullable=False),
    sa.Column("refunded_at", TS),
    sa.Column("refunded_by", sa.String(64)),
    sa.Column("shortfall", sa.Integer, nullable=False, server_default="0"),  # points a refund could not debit
    sa.CheckConstraint("status IN ('completed', 'refunded')", name="status_known"),
    # Idempotency of grants: one row per money movement, whatever the number of deliveries.
    sa.UniqueConstraint("provider", "charge_id"),
    # `diana payments list --user`: a player's payments, newest first.
    sa.Index("ix_payments_user_id_created_at", "user_id", "created_at"),
    # /stats revenue over a window and `diana payments list`: range scan on created_at.
    sa.Index("ix_payments_created_at", "created_at"),
)

payment_orders = sa.Table(
    "payment_orders",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # the order id named by the signed invoice payload
    sa.Column("user_id", sa.BigInteger, _user_fk(), nullable=False),
    sa.Column("provider", sa.String(16), nullable=False),
    sa.Column("product_id", sa.String(64), nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),  # the price quoted on the invoice
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("release", sa.String(64), nullable=False),  # content hash the price was quoted from
    sa.Column("return_to", sa.String(16), nullable=False, server_default=""),  # the view to show after paying
    sa.Column("created_at", TS, nullable=False),
)

payment_events = sa.Table(
    "payment_events",
    metadata,
    sa.Column("provider", sa.String(16), primary_key=True),
    sa.Column("event_id", sa.String(200), primary_key=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("raw", JSONB, nullable=False),
    sa.Column("received_at", TS, nullable=False),
)


# -- releases (diana publish) -------------------------------------------------------------------

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("format", sa.Integer, nullable=False),
    sa.Column("bundle", sa.Text, nullable=False),  # the compiled bundle's canonical JSON
    sa.Column("author", sa.String(128), nullable=False),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("scene_count", sa.Integer, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    # "Publishing the same story twice is a no-op": lookup by hash.
    sa.UniqueConstraint("content_hash"),
)

active_release = sa.Table(
    "active_release",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1: one pointer
    sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id"), nullable=False),
    sa.Column("activated_at", TS, nullable=False),
    sa.Column("activated_by", sa.String(128), nullable=False),
    sa.CheckConstraint("id = 1", name="single_row"),
)


def _release_fk() -> sa.ForeignKey:
    return sa.ForeignKey("releases.id", ondelete="CASCADE")


release_chapters = sa.Table(
    "release_chapters",
    metadata,
    sa.Column("release_id", sa.Integer, _release_fk(), primary_key=True),
    sa.Column("chapter", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", JSONB, nullable=False),
    sa.Column("vip", sa.Boolean, nullable=False),
    sa.Column("unlock", sa.Text),
    sa.Column("start_scene", sa.String(160), nullable=False),
)

release_scenes = sa.Table(
    "release_scenes",
    metadata,
    sa.Column("release_id", sa.Integer, _release_fk(), primary_key=True),
    sa.Column("scene", sa.String(160), primary_key=True),  # chapter.scene
    sa.Column("chapter", sa.String(64), nullable=False),
    sa.Column("text", JSONB, nullable=False),
    sa.Column("ending", sa.String(16)),
    sa.Column("media", sa.String(300)),
)

release_choices = sa.Table(
    "release_choices",
    metadata,
    sa.Column("release_id", sa.Integer, _release_fk(), primary_key=True),
    sa.Column("scene", sa.String(160), primary_key=True),
    sa.Column("choice", sa.String(64), primary_key=True),  # id, else 1-based position
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", JSONB, nullable=False),
    sa.Column("goto", sa.String(160), nullable=False),
    sa.Column("vip", sa.Boolean, nullable=False),
    sa.Column("cost", sa.Integer, nullable=False),
    sa.Column("condition", sa.Text),
    sa.Column("requires", sa.Text),
)

release_achievements = sa.Table(
    "release_achievements",
    metadata,
    sa.Column("release_id", sa.Integer, _release_fk(), primary_key=True),
    sa.Column("achievement", sa.String(64), primary_key=True),
    sa.Column("title", JSONB, nullable=False),
    sa.Column("secret", sa.Boolean, nullable=False),
    sa.Column("tiers", JSONB, nullable=False),
    sa.Column("reward_points", sa.Integer, nullable=False),
)

release_products = sa.Table(
    "release_products",
    metadata,
    sa.Column("release_id", sa.Integer, _release_fk(), primary_key=True),
    sa.Column("product", sa.String(64), primary_key=True),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("title", JSONB, nullable=False),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("stars", sa.Integer),
    sa.Column("stripe_amount", sa.Integer),
    sa.Column("stripe_currency", sa.String(3)),
    sa.Column("stripe_interval", sa.String(8)),
)


# -- admin broadcasts ---------------------------------------------------------------------------

broadcasts = sa.Table(
    "broadcasts",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),  # the audit actor, "tg:<id>" or "cli:<user>"
    sa.Column("created_at", TS, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="running"),  # running|done|cancelled
    # The last recipient (users.id) whose delivery was recorded: a restarted sender continues after it.
    sa.Column("cursor", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("sent", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    # Which sender holds the broadcast and until when: with several bot replicas only one sends it.
    sa.Column("owner", sa.String(64)),
    sa.Column("lease_until", TS),
    sa.Column("finished_at", TS),
    sa.CheckConstraint("status IN ('running', 'done', 'cancelled')", name="status_known"),
)


# -- economy: once-only claims and abuse signals -------------------------------------------------

claims = sa.Table(
    "claims",
    metadata,
    # What may happen once only, whoever tries it and however often: "referral:<referred id>",
    # "remind:streak:<user>:<local day>", "remind:vip:<user>:<expiry date>". The primary key is the
    # guarantee: two bot replicas or a restart race for the INSERT and one wins.
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),  # referral | remind_streak | remind_vip
    sa.Column("user_id", sa.BigInteger, _user_fk(), nullable=False),  # the referrer; the reminded
    sa.Column("created_at", TS, nullable=False),
    # `diana flags`: referrals per referrer per day over a window.
    sa.Index("ix_claims_kind_created_at", "kind", "created_at"),
)

flood_rejections = sa.Table(
    "flood_rejections",
    metadata,
    # Bursts the bot's flood guard turned away, per player and UTC day (one upsert per burst, not
    # per dropped tap), for the "many rejected taps" flag.
    sa.Column("user_id", sa.BigInteger, _user_fk(), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("bursts", sa.Integer, nullable=False),
)
