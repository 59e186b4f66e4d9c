"""Mood detection from writers' labelled examples (pure given the examples)."""

from engine.mood.keywords import KeywordClassifier

__all__ = ["KeywordClassifier"]
