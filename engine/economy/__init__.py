"""The besitos economy as pure rules: awards, caps, multipliers, streaks and levels."""

from engine.economy.rules import Award, EconomyState, checkin, earn, level_for, rewards_for

__all__ = ["Award", "EconomyState", "checkin", "earn", "level_for", "rewards_for"]
