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
