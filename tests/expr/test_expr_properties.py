"""Property tests: round trips, offsets, closure compiler against the reference interpreter,
and the promise that nothing a writer types makes the checker or a checked tree raise."""

from __future__ import annotations

from expr_support import (
    ENV,
    FakeFacts,
    any_trees,
    conditions,
    env_trees,
    facts_strategy,
    interpret,
    soups,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.expr import (
    CODE_NAMES,
    BoolType,
    Expr,
    ExprSyntaxError,
    check,
    check_source,
    compile_expr,
    parse,
    unparse,
    walk,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(any_trees)
def test_unparse_then_parse_gives_the_same_tree(tree: Expr) -> None:
    text = unparse(tree)
    assert parse(text) == tree
    # Canonical: printing the parsed tree again gives the same text.
    assert unparse(parse(text)) == text


@SETTINGS
@given(any_trees)
def test_every_span_holds_the_text_of_its_node(tree: Expr) -> None:
    text = unparse(tree)
    for node in walk(parse(text)):
        assert 0 <= node.start < node.end <= len(text)
        assert parse(text[node.start : node.end]) == node


@SETTINGS
@given(conditions, facts_strategy)
def test_compiled_closures_agree_with_the_reference_interpreter(tree: Expr, facts: FakeFacts) -> None:
    result = check(tree, ENV, "encuentro")
    assert result.issues == ()
    assert result.type == BoolType()
    assert result.tree is not None
    compiled = compile_expr(result.tree)(facts)
    assert compiled is interpret(result.tree, facts)
    assert isinstance(compiled, bool)


@SETTINGS
@given(conditions, facts_strategy)
def test_conditions_survive_their_text(tree: Expr, facts: FakeFacts) -> None:
    """What a writer would type for a condition checks clean and means the same."""
    direct = check(tree, ENV, "encuentro").tree
    via_text = check_source(unparse(tree), ENV, "encuentro").tree
    assert direct is not None
    assert via_text == direct
    assert compile_expr(via_text)(facts) is compile_expr(direct)(facts)


def _assert_well_formed(source: str) -> None:
    result = check_source(source, ENV, "encuentro")
    assert (result.tree is None) == bool(result.issues)
    for issue in result.issues:
        assert issue.code in CODE_NAMES
        assert 0 <= issue.start <= issue.end <= len(source)
        assert issue.message
        assert issue.hint


@SETTINGS
@given(st.text(max_size=40))
def test_arbitrary_text_never_raises(source: str) -> None:
    _assert_well_formed(source)


@SETTINGS
@given(soups, facts_strategy)
def test_generated_expressions_check_and_evaluate_without_raising(source: str, facts: FakeFacts) -> None:
    _assert_well_formed(source)
    result = check_source(source, ENV, "encuentro")
    syntax_issue = None
    try:
        parse(source)
    except ExprSyntaxError as error:
        syntax_issue = error.issue
    if syntax_issue is not None:
        assert result.issues == (syntax_issue,)
        assert syntax_issue.code == "D401"
    if result.tree is not None:
        value = compile_expr(result.tree)(facts)
        assert isinstance(value, bool)
        assert value is interpret(result.tree, facts)


@SETTINGS
@given(st.one_of(env_trees, any_trees), facts_strategy)
def test_evaluator_never_raises_on_checked_trees(tree: Expr, facts: FakeFacts) -> None:
    result = check(tree, ENV, "encuentro")
    if result.tree is not None:
        value = compile_expr(result.tree)(facts)
        assert isinstance(value, bool)
        assert value is interpret(result.tree, facts)


@SETTINGS
@given(env_trees)
def test_checking_text_finds_what_checking_the_tree_finds(tree: Expr) -> None:
    source = unparse(tree)
    from_tree = check(tree, ENV, "encuentro")
    from_text = check_source(source, ENV, "encuentro")
    # Hand-built trees carry no offsets, so only the order of the issues may differ.
    assert sorted((i.code, i.message, i.hint) for i in from_text.issues) == sorted(
        (i.code, i.message, i.hint) for i in from_tree.issues
    )
    assert from_text.tree == from_tree.tree
    assert from_text.type == from_tree.type
    _assert_well_formed(source)
