"""ListPage: pages of a list computed in Python."""

from planner.core.pagination import ListPage


def test_pages_and_bounds():
    items = list(range(120))
    page = ListPage.of(items, 2)
    assert page.items == list(range(50, 100)) and page.pages == 3 and page.total == 120
    assert page.has_prev and page.has_next and (page.prev_num, page.next_num) == (1, 3)
    assert ListPage.of(items, 9).page == 3 and ListPage.of(items, 9).items == list(range(100, 120))
    assert ListPage.of(items, -4).page == 1 and ListPage.of(items, None).page == 1
    empty = ListPage.of([], 1)
    assert empty.items == [] and empty.pages == 1 and not empty.has_next and empty.next_num is None
