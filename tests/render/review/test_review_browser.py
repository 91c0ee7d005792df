"""review.html in a real browser (headless Chromium, tests/render/review/conftest.py), opened from file://.

The page loads nothing and logs no error; the device search finds devices by part of their name and their card
gives the rack, U and ports that plan.json and the shared views give; a fabric tier opens to its switches; the BOM
total follows the filters and equals plan.json's figures; a rack's tooltip gives its plan.json power; hostile text
in a spec and a catalog stays text. Screenshots go to build/test-artifacts/review-*.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from refarch import load_spec
from refarch.catalog.loader import Catalog, load_catalog
from refarch.pipeline import plan_spec
from refarch.plan import Plan
from refarch.render.filters import kw, money
from refarch.render.stage import render
from refarch.render.views import PlanViews, build_views

from ...conftest import MINIMAL_SPEC, REPO, with_description
from .conftest import WINDOW, save_element, save_full_page

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]  # one browser, on one worker

EXAMPLES = ("dgx-h100-su", "cerebras-cs3")
PWN = "window.__pwned=1"
HOSTILE_DESCRIPTION = f"</script><script>{PWN}</script> <img src=x onerror={PWN}> & \"quoted\" 'single'"
HOSTILE_NAME = f"<img src=x onerror={PWN}></script><script>{PWN}</script>\u2028<!-- &amp;"
HOSTILE_CATALOG = f"overrides:\n  - {{id: dgx-h100, name: {json.dumps(HOSTILE_NAME)}}}\n"


class Bundle:
    """A rendered bundle: review.html's URL, plan.json as read back, and the plan's shared views."""

    def __init__(self, plan: Plan, path: Path) -> None:
        self.url = (path / "review.html").as_uri()
        self.plan_json: dict[str, Any] = json.loads((path / "plan.json").read_text())
        self.views: PlanViews = build_views(plan)

    def rack_of(self, device: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """plan.json's rack holding `device`, and the device's record in it."""
        for rack in self.plan_json["racks"]:
            for found in rack["devices"]:
                if found["name"] == device:
                    return rack, found
        raise KeyError(device)


@pytest.fixture(scope="module")
def bundles(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Bundle]:
    root = tmp_path_factory.mktemp("review-browser")
    found = {}
    for name in EXAMPLES:
        plan = plan_spec(load_spec(REPO / "examples" / f"{name}.yaml"), catalog)
        found[name] = Bundle(plan, render(plan, root / name, outputs=["plan", "review"]))
    (root / "catalog").mkdir()
    (root / "catalog" / "hostile.yaml").write_text(HOSTILE_CATALOG, encoding="utf-8")
    spec = with_description(
        MINIMAL_SPEC.replace("  name: tiny\n", "  name: tiny\n  description: x\n"), HOSTILE_DESCRIPTION
    )
    (root / "hostile.yaml").write_text(spec, encoding="utf-8")
    plan = plan_spec(load_spec(root / "hostile.yaml"), load_catalog([root / "catalog"]))
    assert plan.metadata.description == HOSTILE_DESCRIPTION
    found["hostile"] = Bundle(plan, render(plan, root / "hostile", outputs=["plan", "review"]))
    plan = _many_racks(plan.model_copy(update={"metadata": plan.metadata.model_copy(update={"description": "x"})}))
    found["1100-racks"] = Bundle(plan, render(plan, root / "1100-racks", outputs=["plan", "review"]))
    return found


def _many_racks(plan: Plan, count: int = 1100, per_row: int = 100) -> Plan:
    """`plan` with `count` racks, `per_row` to a row: its own racks first, then empty copies of them."""
    racks = [
        plan.racks[k % len(plan.racks)].model_copy(
            update={"row": k // per_row + 1, "position": k % per_row + 1}
            | ({} if k < len(plan.racks) else {"name": f"r{k + 1:03d}", "devices": []})
        )
        for k in range(count)
    ]
    return plan.model_copy(update={"racks": racks})


@pytest.fixture
def page(browser: WebDriver) -> Callable[[Bundle], WebDriver]:
    """Open a bundle's review.html at the top, with the console log read so far discarded."""

    def open_page(bundle: Bundle) -> WebDriver:
        browser.get(bundle.url)
        WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")
        _console(browser)
        return browser

    return open_page


_VISIBLE_LINES = "return document.querySelectorAll('#bom-lines tbody tr:not([hidden])').length"


def _errors(browser: WebDriver) -> list[str]:
    return [entry["message"] for entry in _console(browser) if entry["level"] == "SEVERE"]


def _console(browser: WebDriver) -> list[dict[str, Any]]:
    """The console entries logged since the last call (goog:loggingPrefs in the fixture asks Chromium for all)."""
    entries: list[dict[str, Any]] = browser.get_log("browser")  # type: ignore[no-untyped-call]  # untyped in Selenium
    return entries


def _field(element: WebElement, name: str) -> str:
    """The exact text (textContent, not the rendered text) of the element marked data-field=`name`."""
    return str(element.find_element(By.CSS_SELECTOR, f'[data-field="{name}"]').get_property("textContent"))


def _ports(card: WebElement) -> list[tuple[str, str, str, str]]:
    """The card's ports as (port, peer device, peer port, cable id), read in one call rather than cell by cell."""
    rows = card.parent.execute_script(
        "return Array.from(arguments[0].querySelectorAll('table.ports tbody tr')).map(tr => "
        "['port', 'peer', 'peer-port', 'cable'].map(f => tr.querySelector(`[data-field='${f}']`).textContent))",
        card,
    )
    return [tuple(row) for row in rows]


def _dollars(text: str) -> int:
    assert re.fullmatch(r"-?\$\d{1,3}(,\d{3})*", text), text
    return int(re.sub(r"[^\d-]", "", text))


def _search(browser: WebDriver, query: str) -> list[str]:
    """Type `query` into the device search; the names it suggests."""
    box = browser.find_element(By.ID, "device-search")
    box.clear()
    box.send_keys(query)
    options = browser.find_elements(By.CSS_SELECTOR, "#device-suggestions li[data-index]")
    return [o.find_element(By.CLASS_NAME, "name").text for o in options]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_page_loads_nothing_logs_no_error_and_fits_1280_pixels(
    page: Callable[[Bundle], WebDriver], bundles: dict[str, Bundle], name: str
) -> None:
    browser = page(bundles[name])
    assert _errors(browser) == []
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [url for url in loaded if not url.startswith("data:")] == []  # self-contained: no file, no URL fetched
    widths = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert browser.get_window_size()["width"] == WINDOW[0]
    assert widths[0] <= widths[1], "the page scrolls sideways at 1280 pixels"
    boxes = browser.find_elements(By.CSS_SELECTOR, "#rack-map .rack")
    assert [b.get_attribute("aria-label") for b in boxes] == [
        r["name"] for r in sorted(bundles[name].plan_json["racks"], key=lambda r: (r["row"], r["position"]))
    ]
    for details in browser.find_elements(By.CSS_SELECTOR, "details.tier"):  # every tier open: still no overflow
        details.find_element(By.TAG_NAME, "summary").click()
    assert browser.execute_script("return document.documentElement.scrollWidth") <= widths[1]
    browser.execute_script("window.scrollTo(0, 0)")
    save_full_page(browser, name)
    assert _errors(browser) == []


@pytest.mark.parametrize(
    ("name", "query", "device"),
    [
        ("dgx-h100-su", "h100-01", "dgx-h100-017"),
        ("dgx-h100-su", "SU001-LEAF0", "compute-su001-leaf05"),
        ("cerebras-cs3", "cs-3", "cs-3-002"),
    ],
    ids=["gpu-node", "leaf-switch", "cs3-system"],
)
def test_search_opens_the_card_of_a_device_with_its_rack_u_and_ports(
    page: Callable[[Bundle], WebDriver], bundles: dict[str, Bundle], name: str, query: str, device: str
) -> None:
    bundle = bundles[name]
    browser = page(bundle)
    suggested = _search(browser, query)
    assert device in suggested and 0 < len(suggested) <= 12
    assert all(query.lower() in s.lower() for s in suggested)
    prefixed = [s.lower().startswith(query.lower()) for s in suggested]
    assert prefixed == sorted(prefixed, reverse=True)  # names starting with the text come first
    options = browser.find_elements(By.CSS_SELECTOR, "#device-suggestions li[data-index]")
    search = browser.find_element(By.ID, "device-search")
    for _ in range(suggested.index(device) + 1):  # by keyboard: down to the device, then Enter
        search.send_keys(Keys.ARROW_DOWN)
    assert options[suggested.index(device)].get_attribute("aria-selected") == "true"
    search.send_keys(Keys.ENTER)

    card = browser.find_element(By.ID, "device-card")
    assert card.is_displayed() and _field(card, "name") == device
    rack, record = bundle.rack_of(device)
    assert _field(card, "rack") == rack["name"]
    assert _field(card, "u") == str(record["u_position"])
    assert _field(card, "height-u") == f"{record['height_u']} U"
    assert _field(card, "catalog-id") == record["catalog_id"]
    assert _field(card, "role") == record["role"]
    ports = bundle.views.device(device).ports
    assert _ports(card) == [(p.port, p.peer_device, p.peer_port, p.cable_id) for p in ports]
    save_element(browser, card, f"card-{device}")

    peer = ports[-1].peer_device  # a peer opens its own card, which lists the device among its peers
    card.find_elements(By.CSS_SELECTOR, "table.ports [data-field=peer] button")[-1].click()
    assert _field(card, "name") == peer
    assert (ports[-1].peer_port, device, ports[-1].port, ports[-1].cable_id) in _ports(card)

    card.find_element(By.CSS_SELECTOR, '[data-action="show-in-rack"]').click()
    highlighted = browser.find_elements(By.CSS_SELECTOR, "#rack-map .rack.highlight")
    assert [h.get_attribute("aria-label") for h in highlighted] == [bundle.rack_of(peer)[0]["name"]]
    assert browser.switch_to.active_element == highlighted[0]  # focused, so its figures show
    assert _field(browser.find_element(By.ID, "rack-tooltip"), "name") == bundle.rack_of(peer)[0]["name"]
    assert peer in browser.find_element(By.ID, "rack-contents").text
    assert _errors(browser) == []


def test_a_fabric_tier_opens_to_list_its_switches(
    page: Callable[[Bundle], WebDriver], bundles: dict[str, Bundle]
) -> None:
    bundle = bundles["dgx-h100-su"]
    browser = page(bundle)
    fabric = bundle.plan_json["fabrics"]["compute"]
    tier = browser.find_element(By.CSS_SELECTOR, '.fabric-tiers[data-fabric="compute"] details[data-tier="leaf"]')
    summary = tier.find_element(By.TAG_NAME, "summary")
    assert f"{fabric['switches']['leaf']} switches" in summary.text
    assert f"endpoint-leaf {fabric['links']['endpoint-leaf']}" in summary.text
    rows = tier.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert not any(row.is_displayed() for row in rows)
    summary.send_keys(Keys.ENTER)  # a summary is keyboard-reachable and opens with Enter
    assert tier.get_attribute("open") is not None and all(row.is_displayed() for row in rows)
    leaves = [d for d in bundle.views.devices if d.role == "compute-leaf"]
    assert [row.find_element(By.TAG_NAME, "button").text for row in rows] == [d.name for d in leaves]
    assert len(rows) == fabric["switches"]["leaf"]
    first = leaves[0]
    cells = [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")]
    in_fabric = [p for p in first.ports if p.fabric == "compute"]
    assert cells[1:3] == [first.rack, str(len(in_fabric))]
    spines = sum(1 for p in in_fabric if p.tier == "leaf-spine")
    assert cells[3] == f"{len(in_fabric) - spines} endpoint, {spines} spine"
    rows[0].find_element(By.TAG_NAME, "button").click()  # a switch opens its card
    assert _field(browser.find_element(By.ID, "device-card"), "name") == first.name
    assert _errors(browser) == []


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_bom_total_follows_the_filters(
    page: Callable[[Bundle], WebDriver], bundles: dict[str, Bundle], name: str
) -> None:
    plan = bundles[name].plan_json
    browser = page(bundles[name])
    total = browser.find_element(By.ID, "bom-total")
    rows = browser.find_elements(By.CSS_SELECTOR, "#bom-lines tbody tr")
    assert len(rows) == len(plan["bom"])
    assert total.text == money(plan["summary"]["capex_usd"])
    assert _dollars(total.text) == round(plan["summary"]["capex_usd"])
    estimated = [line["part"] for line in plan["bom"] if line["confidence"] == "estimate"]
    marked = [
        r.find_element(By.TAG_NAME, "code").text for r in rows if "estimate" in (r.get_attribute("class") or "").split()
    ]
    assert marked == estimated and all("estimate" in r.text for r in rows if r.get_attribute("class"))
    category = Select(browser.find_element(By.ID, "bom-category"))
    categories = sorted({line["category"] for line in plan["bom"]})
    assert [o.get_attribute("value") for o in category.options] == ["", *categories]
    for chosen in categories:
        category.select_by_value(chosen)
        lines = [line for line in plan["bom"] if line["category"] == chosen]
        assert total.text == money(sum(line["extended_price_usd"] for line in lines)), chosen
        assert browser.execute_script(_VISIBLE_LINES) == len(lines)
    category.select_by_value("")
    text = browser.find_element(By.ID, "bom-filter")
    part = plan["bom"][-1]
    text.send_keys(part["part"].upper())  # case does not matter
    shown = [line for line in plan["bom"] if part["part"] in f"{line['part']} {line['description']}".lower()]
    assert total.text == money(sum(line["extended_price_usd"] for line in shown))
    assert browser.find_element(By.ID, "bom-count").text == f"{len(shown)} of {len(plan['bom'])} lines"
    text.clear()
    text.send_keys(" ")  # clear() fires no input event; a blank filter is no filter
    assert total.text == money(plan["summary"]["capex_usd"])
    assert _errors(browser) == []


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_rack_shows_its_figures_on_hover_and_on_focus(
    page: Callable[[Bundle], WebDriver], bundles: dict[str, Bundle], name: str
) -> None:
    plan = bundles[name].plan_json
    browser = page(bundles[name])
    tooltip = browser.find_element(By.ID, "rack-tooltip")
    assert not tooltip.is_displayed()
    ordered = sorted(plan["racks"], key=lambda r: (r["row"], r["position"]))
    boxes = browser.find_elements(By.CSS_SELECTOR, "#rack-map .rack")
    for rack, box in list(zip(ordered, boxes, strict=True))[-2:]:
        ActionChains(browser).move_to_element(box).perform()
        assert tooltip.is_displayed() and _field(tooltip, "name") == rack["name"]
        assert _field(tooltip, "it-power") == kw(rack["it_power_kw"])
        assert _field(tooltip, "power-limit") == kw(rack["power_limit_kw"])
        assert _field(tooltip, "cooling") == rack["cooling"]
        assert _field(tooltip, "air-heat") == kw(rack["air_heat_kw"])
        assert _field(tooltip, "liquid-heat") == kw(rack["liquid_heat_kw"])
        assert _field(tooltip, "used-u") == f"{rack['used_u']} of {rack['height_u']} U"
        assert _field(tooltip, "devices").startswith(str(len(rack["devices"])))
        right = browser.execute_script("return arguments[0].getBoundingClientRect().right", tooltip)
        assert right <= WINDOW[0]
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, "#explorer-racks h3")).perform()
    assert not tooltip.is_displayed()
    # By keyboard: Tab reaches the map once (one rack is in the tab order), arrows move between racks.
    assert [b.get_attribute("tabindex") for b in boxes].count("0") == 1
    browser.find_element(By.ID, "bom-filter").click()
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element == boxes[0]
    assert tooltip.is_displayed() and _field(tooltip, "name") == ordered[0]["name"]
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    assert browser.switch_to.active_element == boxes[1]
    assert _field(tooltip, "it-power") == kw(ordered[1]["it_power_kw"])
    ActionChains(browser).send_keys(Keys.ENTER).perform()  # lists the rack's devices
    listed = browser.find_element(By.ID, "rack-contents").find_elements(By.CSS_SELECTOR, "button[data-device]")
    expected = {d["name"] for d in ordered[1]["devices"]}
    assert expected <= {b.text for b in listed}
    assert _errors(browser) == []


def test_a_map_of_1100_racks_fits_the_window(page: Callable[[Bundle], WebDriver], bundles: dict[str, Bundle]) -> None:
    bundle = bundles["1100-racks"]
    browser = page(bundle)
    boxes = browser.find_elements(By.CSS_SELECTOR, "#rack-map .rack")
    assert len(boxes) == len(bundle.plan_json["racks"]) == 1100
    assert {(b.size["width"], b.size["height"]) for b in boxes[:: len(boxes) // 10]} == {(12, 20)}  # small boxes
    rack_map = browser.find_element(By.ID, "rack-map")
    assert rack_map.size["height"] <= WINDOW[1] - 100  # rows of 100 wrap: the map stays a screenful
    assert browser.execute_script("return document.documentElement.scrollWidth") <= WINDOW[0]
    boxes[0].click()
    ActionChains(browser).send_keys(Keys.END).perform()  # the keyboard reaches the last rack in one key
    tooltip = browser.find_element(By.ID, "rack-tooltip")
    assert browser.switch_to.active_element == boxes[-1] and _field(tooltip, "name") == "r1100"
    assert browser.execute_script("return arguments[0].getBoundingClientRect().right", tooltip) <= WINDOW[0]
    save_element(browser, browser.find_element(By.ID, "explorer-racks"), "rack-map-1100")
    assert _errors(browser) == []


def test_hostile_text_in_the_spec_and_the_catalog_stays_text(
    page: Callable[[Bundle], WebDriver], bundles: dict[str, Bundle]
) -> None:
    browser = page(bundles["hostile"])
    assert browser.execute_script("return window.__pwned") is None
    shown = browser.find_element(By.CSS_SELECTOR, ".masthead .description").get_property("textContent")
    assert shown == HOSTILE_DESCRIPTION
    assert _search(browser, "dgx-h100-00")
    browser.find_element(By.CSS_SELECTOR, "#device-suggestions li[data-index]").click()
    card = browser.find_element(By.ID, "device-card")
    assert _field(card, "part") == HOSTILE_NAME  # from the JSON, through a text node
    row = browser.find_element(By.XPATH, "//table[@id='bom-lines']//tr[td/code[text()='dgx-h100']]")
    assert row.find_elements(By.TAG_NAME, "td")[1].get_property("textContent") == HOSTILE_NAME
    assert browser.find_elements(By.CSS_SELECTOR, "#explorer img, .masthead img, main script") == []
    browser.execute_async_script("setTimeout(arguments[0], 100)")  # an injected image's onerror would have run
    assert browser.execute_script("return window.__pwned") is None
    save_full_page(browser, "hostile")
    assert _errors(browser) == []
