from planner.cli import conflicting_translations, untranslated_entries


def test_every_german_catalogue_is_complete():
    missing = untranslated_entries()
    assert not missing, f"{len(missing)} untranslated or fuzzy entries, e.g. {missing[:10]}"


def test_no_two_catalogues_translate_the_same_message_differently():
    conflicts = conflicting_translations()
    assert not conflicts, "\n".join(conflicts)


def test_english_is_the_source_language_and_complete(client):
    client.post("/language", data={"lang": "en"})
    html = client.get("/privacy").get_data(as_text=True)
    assert "Privacy notice" in html and "Datenschutzhinweise" not in html


def test_no_translation_call_hides_inside_an_f_string():
    """Babel's extractor does not see a call inside an f-string: its text stays English in every language (the
    German paper read "(Source: …; answered by …)")."""
    import ast
    from pathlib import Path

    names = {"_", "gettext", "ngettext", "pgettext", "lazy_gettext", "_l", "lazy_ngettext"}
    found = []
    for path in sorted(Path("planner").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in names:
                        found.append(f"{path}:{call.lineno}")
    assert found == []
