"""The Essen process as demo data. All people are fictional; organisations are generic kinds."""

PROCESS = {
    "city_name": "Essen",
    "title": "CONNECTED.ESSEN – Smart City-Strategie 2040",
    "vision": (
        "Essen nutzt digitale Lösungen, um die **Lebensqualität** zu steigern, die **wirtschaftliche "
        "Attraktivität** zu erhöhen und die **Nachhaltigkeit** zu verbessern – gemeinsam mit Bürgerinnen "
        "und Bürgern, Partnern und allen städtischen Beteiligungen. Bis 2040 entsteht eine übergreifende "
        "Gesamtstrategie, die den Umbau der Stadt durch Smart City-Impulse voranbringt."
    ),
    "target_year": 2040,
    "milestone_years": [2025, 2030, 2035, 2040],
    "is_current": True,
}

# The city's identity (the Essen of the demo; addresses and contacts are fictional).
CITY = {
    "name": "Essen",
    "authority": "Stadt Essen – Smart City-Team (Demo)",
    "address": "Porscheplatz 1\n45127 Essen",
    "contact_email": "smart-city@example.org",
    "mail_sender": "smart-city@example.org",
    "feedback_email": "barrierefreiheit@example.org",
    "enforcement_body": "Ombudsstelle für barrierefreie Informationstechnik des Landes Nordrhein-Westfalen",
    "districts": [{"name": f"Stadtbezirk {n}", "quarters": []} for n in ("I", "II", "III", "IV", "V", "VI", "VII",
                                                                            "VIII", "IX")],
}

# Texts of the other packages' demo modules that name the demo city.
TEXTS = {
    "impulse": "Impuls: Smart City Essen – wo wir stehen",
    "dialogue_title": "Bürgerdialog Smart City Essen",
    "dialogue_location": "Rathaus Essen, Ratssaal, Porscheplatz 1, 45127 Essen",
    "briefing_location": "Rathaus Essen, Sitzungssaal 2",
    "survey_title": "Online-Bürgerbefragung Smart City Essen",
    "foreword_greeting": "Liebe Essenerinnen und Essener,\n\nmit CONNECTED.ESSEN machen wir unsere Stadt",
}

# code, German name, English name, colour, German description, English description
FIELDS = [
    ("UMW", "Smarte Umwelt", "Smart environment", "#2e7d32",
     "Klima, Stadtgrün, Wasser und Abfall: Daten helfen, Umwelt und Ressourcen zu schützen.",
     "Climate, urban green, water and waste: data helps to protect the environment and resources."),
    ("MOB", "Smarte Mobilität und Infrastruktur", "Smart mobility and infrastructure", "#1565c0",
     "Verkehr, Parken, ÖPNV und digitale Infrastruktur wie Glasfaser, 5G und WLAN.",
     "Traffic, parking, public transport and digital infrastructure such as fibre, 5G and Wi-Fi."),
    ("BIL", "Smarte Bildung", "Smart education", "#6a1b9a",
     "Digitale Schulen, Medienkompetenz und lebenslanges Lernen.",
     "Digital schools, media literacy and lifelong learning."),
    ("SER", "Smarte Services / Verwaltung", "Smart services / administration", "#c62828",
     "Bürger-Services online, digitale Verwaltung und Beteiligung.",
     "Citizen services online, digital administration and participation."),
    ("GES", "Smart Health", "Smart health", "#00838f",
     "Telemedizin, vernetzte Versorgung und Gesundheit im Alter.",
     "Telemedicine, connected care and health in old age."),
    ("WOH", "Smartes Wohnen und Quartiere", "Smart living and neighbourhoods", "#ef6c00",
     "Lebenswerte Quartiere, Klimaanpassung und Nachbarschaft.",
     "Liveable neighbourhoods, climate adaptation and community."),
    ("WWF", "Smarte Wirtschaft, Wissenschaft und Forschung", "Smart economy, science and research", "#4e342e",
     "Gründungen, Innovation, offene Daten und Kooperation mit der Wissenschaft.",
     "Start-ups, innovation, open data and cooperation with science."),
]

# The area of the Bitkom Smart City Index each field mainly serves (planner.fields.models.IndexArea).
INDEX_AREAS = {
    "UMW": "energy_environment",
    "MOB": "mobility",
    "BIL": "society_education",
    "SER": "administration",
    "GES": "society_education",
    "WOH": "energy_environment",
    "WWF": "it_communication",
}

SERIES = {
    "title": "Strategie-Workshops 2022",
    "description": "Vier virtuelle, ganztägige Strategie-Workshops mit Expertinnen und Experten aus Verwaltung, "
    "Wirtschaft und Wissenschaft: Status quo ermitteln, Handlungsbedarfe definieren, vernetzen.",
    "starts_on": "2022-03-01",
    "ends_on": "2022-05-31",
}

# title, date, field codes
WORKSHOPS = [
    ("Workshop 1: Smarte Mobilität und Smarte Umwelt", "2022-03-17", ["MOB", "UMW"]),
    ("Workshop 2: Smarte Bildung und Smarte Wirtschaft, Wissenschaft und Forschung", "2022-03-31", ["BIL", "WWF"]),
    ("Workshop 3: Smarte Services und Smartes Wohnen", "2022-04-21", ["SER", "WOH"]),
    ("Workshop 4: Smart Health", "2022-05-05", ["GES"]),
]

# name, sector, field codes the organisation's experts work in, e-mail domain
ORGANISATIONS = [
    ("Stadtverwaltung – Umweltamt", "administration", ["UMW", "WOH"], "umweltamt.example.org"),
    ("Stadtverwaltung – Amt für Straßen und Verkehr", "administration", ["MOB"], "verkehr.example.org"),
    ("Stadtverwaltung – Schulverwaltungsamt", "administration", ["BIL"], "schulen.example.org"),
    ("Stadtverwaltung – Bürgeramt", "administration", ["SER"], "buergeramt.example.org"),
    ("Stadtverwaltung – Amt für Stadtplanung und Bauordnung", "administration", ["WOH", "MOB"],
     "stadtplanung.example.org"),
    ("Stadtverwaltung – Gesundheitsamt", "administration", ["GES"], "gesundheitsamt.example.org"),
    ("Stadtverwaltung – IT-Dienstleister der Stadt", "administration", ["SER", "WWF"], "it-stadt.example.org"),
    ("Stadtwerke (Energie und Wasser)", "business", ["UMW", "MOB"], "stadtwerke.example.org"),
    ("Verkehrsbetriebe (ÖPNV)", "business", ["MOB"], "oepnv.example.org"),
    ("Entsorgungsbetriebe", "business", ["UMW"], "entsorgung.example.org"),
    ("Wohnungsbaugesellschaft", "business", ["WOH"], "wohnen.example.org"),
    ("Wirtschaftsförderung", "business", ["WWF"], "wirtschaft.example.org"),
    ("Industrie- und Handelskammer", "business", ["WWF", "BIL"], "ihk.example.org"),
    ("Handwerkskammer", "business", ["WWF"], "hwk.example.org"),
    ("Universität", "science", ["WWF", "BIL", "UMW"], "uni.example.org"),
    ("Universitätsklinikum", "science", ["GES"], "klinikum.example.org"),
    ("Hochschule für angewandte Wissenschaften", "science", ["MOB", "SER"], "hochschule.example.org"),
    ("Forschungsinstitut für Klima und Umwelt", "science", ["UMW", "WOH"], "klima-institut.example.org"),
    ("Inklusionsbeirat", "civil_society", ["SER", "GES", "MOB"], "inklusionsbeirat.example.org"),
    ("Seniorenbeirat", "civil_society", ["GES", "WOH"], "seniorenbeirat.example.org"),
    ("Stadtelternschaft", "civil_society", ["BIL"], "eltern.example.org"),
    ("Verbraucherzentrale", "civil_society", ["SER"], "verbraucher.example.org"),
    ("Ratsausschuss für Digitalisierung", "politics", ["SER", "WWF"], "rat.example.org"),
]

FIRST_NAMES = [
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hakan", "Ines", "Jonas", "Katharina", "Lukas",
    "Mara", "Niklas", "Olga", "Paul", "Queenie", "Rafael", "Sophie", "Tim", "Ute", "Viktor", "Wiebke", "Yusuf",
    "Zeynep", "Agnes", "Bernd", "Chiara", "Dirk", "Emma", "Frank", "Gül", "Henrik", "Ilka", "Jan", "Karin",
]
LAST_NAMES = [
    "Albers", "Brandt", "Cakir", "Dietrich", "Engel", "Fuchs", "Gerlach", "Hoffmann", "Ilgen", "Jansen",
    "Kaya", "Lorenz", "Maurer", "Nowak", "Ostermann", "Peters", "Quast", "Richter", "Schulte", "Thiel",
    "Uhlig", "Vogel", "Wagner", "Yilmaz", "Ziegler", "Arslan", "Bauer", "Conrad", "Decker", "Erdmann",
]
POSITIONS = ["Referentin/Referent", "Abteilungsleitung", "Projektleitung", "Sachgebietsleitung",
             "Wissenschaftliche Mitarbeit", "Geschäftsführung", "Vorsitz", "Digitalisierungsbeauftragte/r"]

# Per field: status quo (kind, text), needs (text, [measures (title, description, lead, status, priority,
# start, end, funding)]). Drawn from public reporting on the Essen process.
FINDINGS = {
    "UMW": {
        "swot": [
            ("strength", "Viele Grünflächen und Seen; Umweltdaten werden bereits an einzelnen Stationen erhoben."),
            ("weakness", "Umweltdaten liegen verstreut bei verschiedenen Ämtern und Betrieben vor."),
            ("opportunity", "Sensorik und offene Daten können Hitze- und Trockenstress früh sichtbar machen."),
            ("risk", "Längere Trockenperioden schädigen den Baumbestand schneller, als er nachwachsen kann."),
        ],
        "needs": [
            ("Hitze- und Trockenstress an Straßenbäumen früh erkennen", [
                ("Baumsensoren für Straßenbäume", "Bodenfeuchtesensoren an ausgewählten Straßenbäumen melden, "
                 "wann gewässert werden muss.", "Grün und Gruga", "accepted", "high", 2023, 2026, "grant"),
            ]),
            ("Energie und Ressourcen im öffentlichen Raum sparen", [
                ("Intelligente Straßenbeleuchtung", "Bedarfsgerechte LED-Beleuchtung mit Bewegungssensoren.",
                 "Amt für Straßen und Verkehr", "under_evaluation", "medium", 2024, 2030, "own"),
                ("Füllstandsensoren in Abfallbehältern", "Sensoren melden volle Behälter; Touren werden "
                 "bedarfsgerecht geplant.", "Entsorgungsbetriebe", "accepted", "medium", 2023, 2025, "own"),
            ]),
            ("Besucherströme an Seen lenken", [
                ("Besucher-Dashboard für Seen", "Ein Dashboard zeigt die Auslastung von Parkplätzen und Ufern.",
                 "Umweltamt", "proposed", "low", 2025, 2027, "grant"),
            ]),
        ],
    },
    "MOB": {
        "swot": [
            ("strength", "Dichtes ÖPNV-Netz und gute Anbindung an die Region."),
            ("weakness", "Hoher Parksuchverkehr in den Innenstadtquartieren."),
            ("opportunity", "Straßenlaternen können Träger für 5G- und WLAN-Infrastruktur werden."),
            ("risk", "Ohne einheitliche Datenplattform entstehen Insellösungen."),
        ],
        "needs": [
            ("Parksuchverkehr reduzieren", [
                ("Smart Parking in zwei Stadtteilen", "Sensoren erfassen freie Stellplätze; eine App und "
                 "Anzeigetafeln leiten dorthin.", "Amt für Straßen und Verkehr", "accepted", "high", 2023, 2026,
                 "grant"),
                ("Adaptive Ampelschaltungen", "Ampeln passen ihre Phasen an das Verkehrsaufkommen an.",
                 "Amt für Straßen und Verkehr", "under_evaluation", "medium", 2025, 2030, "own"),
            ]),
            ("Digitale Infrastruktur flächendeckend ausbauen", [
                ("5G und WLAN an Straßenlaternen", "Laternen als Standorte für Kleinzellen und öffentliches WLAN.",
                 "Stadtwerke", "proposed", "medium", 2024, 2028, "external"),
            ]),
        ],
    },
    "BIL": {
        "swot": [
            ("strength", "Engagierte Schulen mit ersten digitalen Unterrichtskonzepten."),
            ("weakness", "Kommunikation zwischen Schule und Eltern läuft oft noch über Papier."),
            ("opportunity", "Mittel aus dem DigitalPakt Schule stehen bereit."),
            ("risk", "Ungleiche Ausstattung vergrößert Bildungsunterschiede."),
        ],
        "needs": [
            ("Digitale Kommunikation zwischen Schulen und Eltern", [
                ("Schul-Eltern-Kommunikationsplattform", "Eine datenschutzkonforme Plattform für Nachrichten, "
                 "Termine und Krankmeldungen.", "Schulverwaltungsamt", "under_evaluation", "high", 2024, 2026,
                 "own"),
            ]),
            ("Alle Schulen digital ausstatten", [
                ("WLAN und Präsentationstechnik in allen Schulen", "Flächendeckendes WLAN und digitale Tafeln in "
                 "allen Klassenräumen.", "Schulverwaltungsamt", "accepted", "high", 2022, 2025, "grant"),
                ("Fortbildungen zur Medienkompetenz", "Angebote für Lehrkräfte, Eltern und Schülerinnen und "
                 "Schüler.", "Schulverwaltungsamt", "accepted", "medium", 2023, 2027, "own"),
            ]),
        ],
    },
    "SER": {
        "swot": [
            ("strength", "Über 500 Verwaltungsleistungen sind bereits online verfügbar."),
            ("weakness", "Viele Anliegen erfordern weiterhin einen Termin vor Ort."),
            ("opportunity", "32 % der Befragten wünschen sich möglichst viele Services online."),
            ("risk", "Menschen ohne digitale Zugänge dürfen nicht abgehängt werden."),
        ],
        "needs": [
            ("Mehr Verwaltungsleistungen online anbieten", [
                ("Serviceportal erweitern", "Weitere Leistungen Ende-zu-Ende digital anbieten.", "Bürgeramt",
                 "accepted", "high", 2023, 2030, "own"),
                ("Online-Terminvergabe und Service-Terminals", "Termine online buchen; Terminals in den "
                 "Bürgerämtern für Menschen ohne eigenes Gerät.", "Bürgeramt", "accepted", "high", 2023, 2025,
                 "own"),
            ]),
            ("Bürgerinnen und Bürger digital beteiligen", [
                ("Digitale Beteiligungsplattform", "Eine Plattform für Umfragen, Ideen und Bürgerhaushalt.",
                 "IT-Dienstleister der Stadt", "proposed", "medium", 2024, 2026, "grant"),
            ]),
        ],
    },
    "GES": {
        "swot": [
            ("strength", "Universitätsklinikum mit Erfahrung in digitaler Medizin."),
            ("weakness", "Sektoren der Versorgung tauschen Daten kaum digital aus."),
            ("opportunity", "Telemedizin kann die Versorgung älterer Menschen zu Hause verbessern."),
            ("risk", "Hohe Anforderungen an Datenschutz und IT-Sicherheit von Gesundheitsdaten."),
        ],
        "needs": [
            ("Telemedizinische Versorgung älterer Menschen", [
                ("Sektorenübergreifendes Telemedizin-Netzwerk", "Kliniken, Praxen und Pflege vernetzen sich für "
                 "Videosprechstunden und Telemonitoring.", "Gesundheitsamt", "under_evaluation", "high", 2024,
                 2030, "grant"),
                ("Patientenportal", "Ein Portal für Befunde, Termine und Medikationspläne.",
                 "Universitätsklinikum", "proposed", "medium", 2025, 2028, "external"),
            ]),
        ],
    },
    "WOH": {
        "swot": [
            ("strength", "Starke Nachbarschaftsinitiativen in vielen Stadtteilen."),
            ("weakness", "Hitzeinseln in dicht bebauten Quartieren."),
            ("opportunity", "Schwammstadt-Maßnahmen lassen sich mit Sensorik steuern."),
            ("risk", "Steigende Mieten bei Modernisierung."),
        ],
        "needs": [
            ("Hitzeinseln in Quartieren verringern", [
                ("Schwammstadt-Monitoring", "Sensoren messen Bodenfeuchte und Temperatur in Quartieren.",
                 "Amt für Stadtplanung und Bauordnung", "accepted", "medium", 2024, 2030, "grant"),
            ]),
            ("Nachbarschaften digital vernetzen", [
                ("Quartiersplattform", "Eine digitale Plattform für Nachbarschaftshilfe und Termine.",
                 "Wohnungsbaugesellschaft", "proposed", "low", 2025, 2027, "external"),
                ("Car- und Bike-Sharing im Quartier", "Geteilte Fahrzeuge an Mobilstationen im Quartier.",
                 "Verkehrsbetriebe (ÖPNV)", "under_evaluation", "medium", 2024, 2028, "external"),
            ]),
        ],
    },
    "WWF": {
        "swot": [
            ("strength", "Gründerfreundliches Klima und starke Hochschulen."),
            ("weakness", "Daten der Stadt sind für Gründerinnen und Gründer schwer zugänglich."),
            ("opportunity", "Offene Daten schaffen neue Geschäftsmodelle."),
            ("risk", "Fachkräfte wandern in andere Regionen ab."),
        ],
        "needs": [
            ("Daten für Gründerinnen und Gründer zugänglich machen", [
                ("Open-Data-Angebot ausbauen", "Weitere Datensätze maschinenlesbar und offen bereitstellen.",
                 "IT-Dienstleister der Stadt", "accepted", "high", 2023, 2026, "own"),
                ("Smart City-Dashboard", "Ein öffentliches Dashboard mit Kennzahlen der Stadt.",
                 "Wirtschaftsförderung", "under_evaluation", "medium", 2024, 2026, "own"),
            ]),
            ("Zusammenarbeit mit der Wissenschaft stärken", [
                ("Co-Creation-Labs mit der Universität", "Gemeinsame Labore, in denen Stadt, Wirtschaft und "
                 "Wissenschaft Lösungen entwickeln.", "Wirtschaftsförderung", "proposed", "medium", 2025, 2029,
                 "grant"),
            ]),
        ],
    },
}

DEMO_PASSWORD = "planner-demo"  # noqa: S105 - documented demo password, only in the demo data

# e-mail, name, role, whether the account is linked to a demo expert
ACCOUNTS = [
    ("admin@example.org", "Alex Admin (fiktiv)", "admin"),
    ("moderation@example.org", "Mia Moderation (fiktiv)", "facilitator"),
    ("expertin@example.org", "Dr. Erika Expertin (fiktiv)", "expert"),
    ("strategie@example.org", "Sam Strategie (fiktiv)", "strategy_team"),
    ("pruefung@example.org", "Ria Review (fiktiv)", "reviewer"),
]
