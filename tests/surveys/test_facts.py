from planner.surveys import facts


def test_facts_are_empty_without_data(ctx):
    assert facts.survey_facts() == ()
    assert facts.priority_facts() is None
    assert facts.priority_facts(123) is None
    assert facts.need_sources() == {}


def test_excerpt_is_at_most_200_characters():
    assert len(facts.excerpt("wort " * 100)) == 200
    assert facts.excerpt("  kurz  ") == "kurz"
