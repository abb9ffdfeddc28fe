from solution import render_search_results


def test_no_results():
    assert render_search_results("kettle", []) == '<p class="summary">No results for <q>kettle</q></p>'


def test_results_with_highlighting():
    html = render_search_results("tea", [
        {"title": "Green Tea and teapots", "url": "https://shop.example/green"},
        {"title": "Coffee beans", "url": "http://shop.example/coffee"},
    ])
    assert html == ('<p class="summary">2 results for <q>tea</q></p><ol class="results">'
                    '<li><a href="https://shop.example/green">Green <mark>Tea</mark> and <mark>tea</mark>pots</a></li>'
                    '<li><a href="http://shop.example/coffee">Coffee beans</a></li>'
                    '</ol>')


def test_single_result_and_non_http_url_is_not_linked():
    html = render_search_results("map", [{"title": "Site map", "url": "/sitemap"}])
    assert html == ('<p class="summary">1 result for <q>map</q></p><ol class="results">'
                    '<li>Site <mark>map</mark></li></ol>')


def test_empty_query_and_non_overlapping_matches():
    assert render_search_results("", [{"title": "All items", "url": "https://x.example/"}]) == (
        '<p class="summary">1 result for <q></q></p><ol class="results">'
        '<li><a href="https://x.example/">All items</a></li></ol>')
    assert "<mark>aa</mark><mark>aa</mark>a" in render_search_results("aa", [{"title": "aaaaa", "url": "/a"}])
