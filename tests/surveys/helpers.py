"""Builders for survey files and mappings used by the surveys tests."""

import csv
import io

HEADER = [
    "id", "Stadtbezirk", "E-Mail", "Digitalisierung im Alltag",
    "Priorität [Mobilität]", "Priorität [Bildung]", "Priorität [Services]",
    "Bewertung Mobilität", "Rangfolge[1]", "Rangfolge[2]", "Rangfolge[3]", "Anmerkungen",
]

ROWS = [
    ["1", "Stadtbezirk I", "a@example.org", "sehr wichtig", "Y", "", "Y", "5", "Bildung", "Mobilität", "Services",
     "Mehr Radwege bitte"],
    ["2", "Stadtbezirk I", "b@example.org", "wichtig", "Y", "Y", "", "4", "Mobilität", "Bildung", "", ""],
    ["3", "Stadtbezirk II", "", "sehr wichtig", "", "", "", "3", "Mobilität", "Services", "Bildung",
     "WLAN in Schulen, Kontakt: x@example.org"],
    ["4", "Stadtbezirk II", "", "", "Y", "", "", "", "", "", "", ""],
]


def csv_bytes(header=HEADER, rows=ROWS, delimiter=";", encoding="utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def mapping(field_code="MOB"):
    return {
        "version": 1,
        "questions": [
            {"key": "q1", "text": "Stadtbezirk", "kind": "demographic", "columns": ["Stadtbezirk"]},
            {"key": "q2", "text": "Digitalisierung im Alltag", "kind": "single",
             "columns": ["Digitalisierung im Alltag"], "options": ["sehr wichtig", "wichtig"],
             "headline": {"label": "Digitalisierung im Alltag sehr wichtig", "options": ["sehr wichtig"]}},
            {"key": "q3", "text": "Priorität", "kind": "multiple",
             "columns": ["Priorität [Mobilität]", "Priorität [Bildung]", "Priorität [Services]"],
             "options": ["Mobilität", "Bildung", "Services"], "option_fields": {"Mobilität": field_code}},
            {"key": "q4", "text": "Bewertung Mobilität", "kind": "rating", "scale": 5,
             "columns": ["Bewertung Mobilität"], "field": field_code},
            {"key": "q5", "text": "Rangfolge", "kind": "ranking", "layout": "by_rank",
             "columns": ["Rangfolge[1]", "Rangfolge[2]", "Rangfolge[3]"], "options": []},
            {"key": "q6", "text": "Anmerkungen", "kind": "text", "columns": ["Anmerkungen"]},
        ],
    }
