from tests.permission_rules import PUBLIC, Rule

RULES = {
    "site.index": Rule(PUBLIC),
    "site.privacy": Rule(PUBLIC),
    "site.accessibility": Rule(PUBLIC),
    "site.easy_language": Rule(PUBLIC),
    "site.healthz": Rule(PUBLIC),
    "site.set_language": Rule(PUBLIC, method="POST", ok=302, data={"lang": "en"}),
}
