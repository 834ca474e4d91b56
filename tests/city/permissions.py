from tests.permission_rules import PUBLIC, Rule

RULES = {
    "city.settings": Rule(()),
    # An empty upload is refused with a message on the settings page.
    "city.upload_logo": Rule((), method="POST", ok=302),
    "city.remove_logo": Rule((), method="POST", ok=302),
    # No logo uploaded: nothing to show.
    "city.logo": Rule(PUBLIC, ok=404),
    "city.edit_legal": Rule((), params=lambda: {"kind": "imprint", "locale": "de"}),
    "city.reset_legal": Rule((), method="POST", ok=302, params=lambda: {"kind": "imprint", "locale": "en"}),
    "city.imprint": Rule(PUBLIC),
    "city.setup_start": Rule((), ok=302),
    "city.setup_step": Rule((), params=lambda: {"step": "process"}),
    "city.setup_done": Rule(()),
    "city.remove_demo": Rule(()),
}
