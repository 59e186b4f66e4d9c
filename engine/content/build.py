"""Schema-valid YAML trees -> the typed content model.

The schemas already guaranteed shapes and types, so this module only translates; the few rules a JSON
Schema cannot say (one chapter id per file, a variable's default inside its range) are reported here.
"""

from __future__ import annotations

from typing import cast

from engine.codes import diagnostic
from engine.content.model import (
    Achievement,
    Chapter,
    Character,
    Choice,
    Condition,
    Content,
    Effects,
    Level,
    Located,
    Media,
    Moods,
    Product,
    RewardRule,
    Rewards,
    Route,
    Scene,
    SourceFile,
    Story,
    Text,
    VarDecl,
)
from engine.content.sourcemap import segments
from engine.content.ynode import YMap, YNode, YScalar, YSeq
from engine.diagnostics import Diagnostic, Loc

DEFAULT_CURRENCY = {"es": "besitos", "en": "kisses"}


def _scalar(node: YNode | None) -> object:
    return node.value if isinstance(node, YScalar) else None


def _str(node: YNode | None, default: str | None = None) -> str | None:
    value = _scalar(node)
    return value if isinstance(value, str) else default


def _int(node: YNode | None, default: int | None = None) -> int | None:
    value = _scalar(node)
    if isinstance(value, bool):
        return default
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else default


def _bool(node: YNode | None, default: bool = False) -> bool:
    value = _scalar(node)
    return value if isinstance(value, bool) else default


def _map(node: YNode | None) -> YMap:
    return node if isinstance(node, YMap) else YMap(node.loc if node else Loc("?"))


def _seq(node: YNode | None) -> list[YNode]:
    return node.items if isinstance(node, YSeq) else []


def _bond_default(bond: YMap, low: int) -> int:
    """The declared default (0 is a real default, also with a negative minimum), else the minimum."""
    declared = _int(bond.get("default"))
    return declared if declared is not None else low


def expression_loc(node: YScalar) -> Loc:
    """Where offset 0 of a condition string sits, roughly: after the opening quote of a quoted scalar.

    The exact place (block scalars, several lines, escapes) comes from the file's text, see sourcemap.
    """
    if node.style in ("'", '"'):
        return node.loc.shifted(1)
    if node.style in ("|", ">"):
        return Loc(node.loc.file, node.loc.line + 1, node.loc.column + 2)
    return node.loc


class Builder:
    def __init__(
        self,
        trees: dict[str, tuple[str, YNode]],
        media: frozenset[str],
        sources: dict[str, SourceFile],
        built: dict[str, Chapter] | None = None,
    ) -> None:
        self.trees = trees
        self.media = media
        self.sources = sources
        self.diagnostics: list[Diagnostic] = []
        self.default_locale = "es"
        self.locales: tuple[str, ...] = ("es",)
        # Chapters the loader already built while reading (their trees were let go to save memory).
        self.built = built if built is not None else {}

    def locale_from(self, story: YMap) -> None:
        """Take the default locale from story.yaml before building chapters one by one."""
        self.default_locale = _str(story.get("default_locale"), "es") or "es"

    # -- small values -------------------------------------------------------------------------
    def text(self, node: YNode | None) -> Text:
        if isinstance(node, YMap):
            values = {key: str(_scalar(value) or "") for key, (_, value) in node.entries.items()}
            locs = {key: value.loc for key, (_, value) in node.entries.items()}
            key_locs = {key: name.loc for key, (name, _) in node.entries.items()}
            return Text(values, node.loc, locs, key_locs=key_locs)
        if isinstance(node, YScalar):
            return Text(
                {self.default_locale: str(node.value or "")},
                node.loc,
                {self.default_locale: node.loc},
                plain=True,
            )
        return Text({}, Loc("?"))

    def optional_text(self, node: YNode | None) -> Text | None:
        return self.text(node) if node is not None else None

    def condition(self, node: YNode | None) -> Condition | None:
        if not isinstance(node, YScalar) or not isinstance(node.value, str):
            return None
        source = self.sources.get(node.loc.file)
        found = segments(source.source, node.loc, node.value) if source and source.source else ()
        return Condition(node.value, expression_loc(node), found)

    def located_str(self, node: YNode | None) -> Located[str] | None:
        value = _str(node)
        return Located(value, cast(YNode, node).loc) if value is not None else None

    def effects(self, node: YNode | None) -> Effects | None:
        if not isinstance(node, YMap):
            return None
        sets = {
            key: Located(cast("int | bool | str", _scalar(value)), value.loc)
            for key, (_, value) in _map(node.get("set")).entries.items()
        }
        adds = {
            key: Located(_int(value, 0) or 0, value.loc)
            for key, (_, value) in _map(node.get("add")).entries.items()
        }
        bonds = {
            key: Located(_int(value, 0) or 0, value.loc)
            for key, (_, value) in _map(node.get("bond")).entries.items()
        }
        points_node = node.get("points")
        points = Located(_int(points_node, 0) or 0, points_node.loc) if points_node else None
        keys = {
            (section, name): key.loc
            for section in ("set", "add", "bond")
            for name, (key, _) in _map(node.get(section)).entries.items()
        }
        return Effects(node.loc, sets, adds, bonds, points, self.located_str(node.get("achievement")), keys)

    # -- files ---------------------------------------------------------------------------------
    def build(self) -> Content:
        story = self.story()
        chapters = self.chapters()
        return Content(
            story=story,
            chapters=chapters,
            characters=self.characters(),
            achievements=self.achievements(),
            rewards=self.rewards(),
            products=self.products(),
            moods=self.moods(),
            media_files=self.media,
            files=self.sources,
        )

    def tree(self, path: str) -> YMap | None:
        entry = self.trees.get(path)
        return entry[1] if entry and isinstance(entry[1], YMap) else None

    def story(self) -> Story:
        root = self.tree("story.yaml")
        assert root is not None, "story.yaml presence is checked by the loader"
        self.default_locale = _str(root.get("default_locale"), "es") or "es"
        locales = tuple(str(_scalar(n)) for n in _seq(root.get("locales"))) or (self.default_locale,)
        self.locales = locales
        variables = {}
        for name, (key, node) in _map(root.get("variables")).entries.items():
            variables[name] = self.variable(name, key.loc, _map(node))
        start = root.get("start")
        return Story(
            id=_str(root.get("id"), "story") or "story",
            title=self.text(root.get("title")),
            default_locale=self.default_locale,
            locales=locales,
            start=_str(start, "") or "",
            start_loc=start.loc if start else root.loc,
            variables=variables,
            loc=root.loc,
            description=self.optional_text(root.get("description")),
            author=_str(root.get("author")),
        )

    def variable(self, name: str, loc: Loc, node: YMap) -> VarDecl:
        kind = _str(node.get("type"), "int") or "int"
        values = tuple(str(_scalar(n)) for n in _seq(node.get("values")))
        low, high = _int(node.get("min")), _int(node.get("max"))
        default_node = node.get("default")
        default: int | bool | str
        if kind == "int":
            default = _int(default_node, max(low or 0, 0) if low is not None and low > 0 else 0) or 0
            if low is not None and high is not None and low > high:
                self.diagnostics.append(
                    diagnostic(
                        "D208",
                        loc,
                        f"variable '{name}' has min {low} above max {high}",
                        hint="swap them: min is the lowest value the variable may take",
                    )
                )
            elif (low is not None and default < low) or (high is not None and default > high):
                self.diagnostics.append(
                    diagnostic(
                        "D208",
                        default_node.loc if default_node else loc,
                        f"the default {default} of '{name}' is outside its range "
                        f"{'' if low is None else low}..{'' if high is None else high}",
                        hint="every new player starts at the default: pick a value within min..max",
                    )
                )
        elif kind == "bool":
            default = _bool(default_node)
        elif kind == "enum":
            default = _str(default_node, values[0] if values else "") or ""
            if default_node is not None and default not in values:
                self.diagnostics.append(
                    diagnostic(
                        "D208",
                        default_node.loc,
                        f"the default '{default}' of '{name}' is not one of its values",
                        hint="values: " + ", ".join(values),
                    )
                )
        else:
            default = _str(default_node, "") or ""
        return VarDecl(
            name, kind, default, loc, low, high, values, self.optional_text(node.get("description"))
        )

    def chapters(self) -> dict[str, Chapter]:
        found: dict[str, Chapter] = {}
        for position, (path, (kind, _)) in enumerate(sorted(self.trees.items())):
            root = self.tree(path)
            if kind != "chapter" or root is None:
                continue
            chapter = self.built.get(path) or self.chapter(path, root, position)
            if chapter.id in found:
                other = found[chapter.id]
                self.diagnostics.append(
                    diagnostic(
                        "D206",
                        chapter.loc,
                        f"chapter id '{chapter.id}' is also used by {other.file}",
                        hint="each chapter file needs its own id",
                        related=(other.loc,),
                    )
                )
                continue
            found[chapter.id] = chapter
        return dict(sorted(found.items(), key=lambda item: (item[1].order, item[1].file)))

    def chapter(self, path: str, root: YMap, position: int) -> Chapter:
        chapter_id = _str(root.get("id"), "") or ""
        id_node = root.get("id")
        scenes = {}
        for scene_id, (key, node) in _map(root.get("scenes")).entries.items():
            scenes[scene_id] = self.scene(chapter_id, scene_id, key.loc, _map(node))
        return Chapter(
            id=chapter_id,
            title=self.text(root.get("title")),
            file=path,
            loc=id_node.loc if id_node else root.loc,
            order=_int(root.get("order"), 1000 + position) or 0,
            scenes=scenes,
            vip=_bool(root.get("vip")),
            unlock=self.condition(root.get("unlock")),
            start=self.located_str(root.get("start")),
            description=self.optional_text(root.get("description")),
        )

    def scene(self, chapter: str, scene_id: str, loc: Loc, node: YMap) -> Scene:
        choices = tuple(
            self.choice(index, _map(item)) for index, item in enumerate(_seq(node.get("choices")))
        )
        next_node = node.get("next")
        routes: tuple[Route, ...] = ()
        plain = False
        if isinstance(next_node, YScalar):
            plain = True
            routes = (Route(str(next_node.value), next_node.loc, next_node.loc),)
        elif isinstance(next_node, YSeq):
            routes = tuple(self.route(_map(item)) for item in next_node.items)
        media_node = node.get("media")
        media = None
        if isinstance(media_node, YScalar):
            media = Media("photo", str(media_node.value), media_node.loc)
        elif isinstance(media_node, YMap) and media_node.entries:
            kind, (_, value) = next(iter(media_node.entries.items()))
            media = Media(kind, str(_scalar(value)), value.loc)
        return Scene(
            id=scene_id,
            chapter=chapter,
            text=self.text(node.get("text")),
            loc=loc,
            character=self.located_str(node.get("character")),
            media=media,
            on_enter=self.effects(node.get("on_enter")),
            choices=choices,
            routes=routes,
            next_is_plain=plain,
            input=_str(node.get("input")),
            ending=_str(node.get("ending")),
            next_chapter=self.located_str(node.get("next_chapter")),
            aliases=tuple(Located(str(_scalar(item)), item.loc) for item in _seq(node.get("aliases"))),
            present=frozenset(node.entries),
        )

    def choice(self, index: int, node: YMap) -> Choice:
        goto = node.get("goto")
        id_node = node.get("id")
        cost = node.get("cost")
        return Choice(
            index=index,
            text=self.text(node.get("text")),
            goto=_str(goto, "") or "",
            goto_loc=goto.loc if goto else node.loc,
            loc=node.loc,
            id=_str(id_node),
            id_loc=id_node.loc if id_node else None,
            if_=self.condition(node.get("if")),
            requires=self.condition(node.get("requires")),
            vip=_bool(node.get("vip")),
            cost=_int(cost, 0) or 0,
            cost_loc=cost.loc if cost else None,
            effects=self.effects(node.get("effects")),
        )

    def route(self, node: YMap) -> Route:
        goto = node.get("goto")
        return Route(
            _str(goto, "") or "",
            goto.loc if goto else node.loc,
            node.loc,
            self.condition(node.get("if")),
        )

    def characters(self) -> dict[str, Character]:
        root = self.tree("characters.yaml")
        found = {}
        for char_id, (key, node) in root.entries.items() if root else ():
            body = _map(node)
            bond = _map(body.get("bond"))
            low = _int(bond.get("min"), 0) or 0
            high = _int(bond.get("max"), 10)
            high = 10 if high is None else high
            portrait = body.get("portrait")
            found[char_id] = Character(
                id=char_id,
                name=self.text(body.get("name")),
                bond_min=low,
                bond_max=high,
                bond_default=_bond_default(bond, low),
                loc=key.loc,
                portrait=_str(portrait),
                portrait_loc=portrait.loc if portrait else None,
                description=self.optional_text(body.get("description")),
            )
        return found

    def achievements(self) -> dict[str, Achievement]:
        root = self.tree("achievements.yaml")
        found = {}
        for ach_id, (key, node) in root.entries.items() if root else ():
            body = _map(node)
            tiers: dict[str, Condition] = {}
            for tier in ("bronze", "silver", "gold"):
                condition = self.condition(_map(body.get("tiers")).get(tier))
                if condition:
                    tiers[tier] = condition
            found[ach_id] = Achievement(
                id=ach_id,
                title=self.text(body.get("title")),
                loc=key.loc,
                description=self.optional_text(body.get("description")),
                category=_str(body.get("category")),
                when=self.condition(body.get("when")),
                tiers=tiers,
                reward_points=_int(_map(body.get("reward")).get("points"), 0) or 0,
                secret=_bool(body.get("secret")),
                icon=_str(body.get("icon")),
            )
        return found

    def rewards(self) -> Rewards:
        root = self.tree("rewards.yaml")
        if root is None:
            return Rewards(
                "besitos",
                # Only the story's own locales: a one-language story must not be told it lacks 'en'.
                Text(
                    {lo: DEFAULT_CURRENCY.get(lo, DEFAULT_CURRENCY["es"]) for lo in self.locales},
                    Loc("rewards.yaml"),
                ),
                "💋",
                Loc("rewards.yaml"),
            )
        currency = _map(root.get("currency"))
        rules = []
        for index, item in enumerate(_seq(root.get("rules"))):
            body = _map(item)
            bonus = _map(body.get("streak_bonus"))
            rules.append(
                RewardRule(
                    index=index,
                    on=_str(body.get("on"), "") or "",
                    points=_int(body.get("points"), 0) or 0,
                    loc=body.loc,
                    id=_str(body.get("id")),
                    once=_bool(body.get("once")),
                    per_day=_int(_map(body.get("limit")).get("per_day")),
                    streak_per_day=_int(bonus.get("per_day"), 0) or 0,
                    streak_max=_int(bonus.get("max"), 0) or 0,
                    if_=self.condition(body.get("if")),
                    chapter=self.located_str(body.get("chapter")),
                )
            )
        multiplier = _scalar(_map(root.get("multipliers")).get("vip"))
        levels = tuple(
            Level(_int(_map(item).get("points"), 0) or 0, self.text(_map(item).get("name")))
            for item in _seq(root.get("levels"))
        )
        return Rewards(
            currency_id=_str(currency.get("id"), "besitos") or "besitos",
            currency_name=self.text(currency.get("name")),
            symbol=_str(currency.get("symbol"), "") or "",
            loc=root.loc,
            rules=tuple(rules),
            vip_multiplier=float(multiplier) if isinstance(multiplier, int | float) else 1.0,
            daily_cap=_int(root.get("daily_cap")),
            levels=levels,
            grace_days=_int(_map(root.get("streak")).get("grace_days"), 0) or 0,
        )

    def products(self) -> dict[str, Product]:
        root = self.tree("shop.yaml")
        found = {}
        for product_id, (key, node) in _map(root.get("products")).entries.items() if root else ():
            body = _map(node)
            price = _map(body.get("price"))
            stripe = _map(price.get("stripe"))
            found[product_id] = Product(
                id=product_id,
                type=_str(body.get("type"), "points") or "points",
                title=self.text(body.get("title")),
                loc=key.loc,
                days=_int(body.get("days"), 0) or 0,
                points=_int(body.get("points"), 0) or 0,
                description=self.optional_text(body.get("description")),
                stars=_int(price.get("stars")),
                stripe_amount=_int(stripe.get("amount")),
                stripe_currency=_str(stripe.get("currency")),
                stripe_interval=_str(stripe.get("interval")),
            )
        return found

    def moods(self) -> Moods:
        root = self.tree("moods.yaml")
        if root is None:
            return Moods((), {}, Loc("moods.yaml"))
        mood_nodes = _seq(root.get("moods"))
        examples: dict[str, dict[str, tuple[str, ...]]] = {}
        example_locs: dict[tuple[str, str], Loc] = {}
        for locale, (_, by_mood) in _map(root.get("examples")).entries.items():
            examples[locale] = {
                mood: tuple(str(_scalar(item)) for item in _seq(items))
                for mood, (_, items) in _map(by_mood).entries.items()
            }
            for mood, (key, _) in _map(by_mood).entries.items():
                example_locs[(locale, mood)] = key.loc
        names = {mood: self.text(node) for mood, (_, node) in _map(root.get("names")).entries.items()}
        return Moods(
            moods=tuple(str(_scalar(n)) for n in mood_nodes),
            examples=examples,
            loc=root.loc,
            mood_locs={str(_scalar(n)): n.loc for n in mood_nodes},
            names=names,
            example_locs=example_locs,
        )
