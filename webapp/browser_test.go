package main

// Browser tests: the real page in headless Chromium against the real server
// (run) backed by the real Elasticsearch test node, behind a fault proxy for
// the outage case. Run them with
//
//	go test ./webapp/ -run Browser -v
//
// They skip when Chromium is missing, unless UI_TESTS_REQUIRED=1 (CI), and
// they save screenshots of a results page under <repo root>/artifacts/.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esfault"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

const chromiumPath = "/usr/bin/chromium"

// tileHost is the only outside host the page may contact. The machine that
// runs the tests has no internet, and the browser is told to resolve no
// outside name anyway; the page must work without tiles.
const tileHost = "tile.openstreetmap.org"

// pageWeightBudget is the most a first visit may transfer, map tiles
// excluded (the original shipped a 446 KB bundle before its map library).
const pageWeightBudget = 250 * 1024

// TestBrowser drives the page the way people use it. The subtests share one
// server and one browser; each opens its own tab.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("UI_TESTS_REQUIRED") == "1" {
			t.Fatalf("UI_TESTS_REQUIRED=1 but Chromium is not at %s: %v", chromiumPath, err)
		}
		t.Skipf("SKIPPING the browser tests: Chromium is not at %s (install the Debian package chromium; set UI_TESTS_REQUIRED=1 to make this a failure)", chromiumPath)
	}
	app := startUIApp(t)
	b := startBrowser(t)

	t.Run("SearchTacosListsTheAPIsTrucksAndMarkers", func(t *testing.T) {
		tab := b.newTab(t, app)
		want := app.search(t, "q=tacos")
		if want.Hits == 0 {
			t.Fatal("the API finds no tacos in the sample data; the test would prove nothing")
		}
		tab.navigate(t, app.url+"/")
		tab.waitForEveryTruck(t)
		tab.do(t, chromedp.Click(chromedp.ID("q"), chromedp.NodeVisible))
		tab.do(t, chromedp.SendKeys(chromedp.ID("q"), "tacos"))
		tab.do(t, chromedp.Click(chromedp.CSS(`#search-form button[type="submit"]`)))
		got := tab.waitForResults(t)

		tab.assertShows(t, got, want)
		if !strings.HasSuffix(got.URL, "/?q=tacos") {
			t.Errorf("URL after the search = %s, want it to end in /?q=tacos", got.URL)
		}
		tab.waitFor(t, `document.querySelector(".tile-notice") !== null`, "the note that map tiles are unavailable")
		first := slices.IndexFunc(want.Trucks, func(tr foodtrucks.Truck) bool { return len(tr.Branches) > 0 })
		tab.do(t, chromedp.Click(chromedp.CSS(fmt.Sprintf("#results > li:nth-child(%d) .truck-name", first+1))))
		tab.waitFor(t, `document.querySelector(".leaflet-popup") && getComputedStyle(document.querySelector(".leaflet-popup")).opacity === "1" && !document.querySelector(".leaflet-zoom-anim")`, "the popup of the first truck, the map at rest")
		tab.nextFrames(t)
		tab.saveScreenshot(t, "ui-results-tacos.png")

		tab.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		tab.navigate(t, app.url+"/?q=tacos")
		tab.waitForResults(t)
		tab.waitFor(t, `document.getElementById("map").getBoundingClientRect().width <= 390`, "the phone layout")
		tab.nextFrames(t)
		if overflow := tab.eval(t, `document.documentElement.scrollWidth > window.innerWidth`); overflow == "true" {
			t.Error("on a 390 px wide screen the page scrolls sideways")
		}
		tab.saveScreenshot(t, "ui-results-tacos-phone.png")
		tab.checkNetwork(t, true)
	})

	t.Run("FirstVisitShowsEveryTruckClusteredAndTheListInView", func(t *testing.T) {
		tab := b.newTab(t, app)
		all := app.allTrucks(t)
		located := 0
		for _, tr := range all.Trucks {
			if len(tr.Branches) > 0 {
				located++
			}
		}
		if located < 100 {
			t.Fatalf("the API has %d trucks with a location; the sample data should hold hundreds", located)
		}
		tab.navigate(t, app.url+"/")
		tab.waitForEveryTruck(t)
		tab.nextFrames(t)
		got := tab.state(t)
		tab.saveScreenshot(t, "ui-first-visit.png")
		// The map opens fitted to every truck: all of them are in view.
		if got.Entries != located || got.Status != fmt.Sprintf("%d of %d trucks in view", located, located) {
			t.Errorf("first visit lists %d entries under %q; the API has %d trucks with a location", got.Entries, got.Status, located)
		}
		if got.Markers != all.Locations {
			t.Errorf("first visit shows %d markers (clusters counted by their trucks); the API has %d locations", got.Markers, all.Locations)
		}
		if got.Clusters == 0 || got.Clusters+got.Singles > all.Locations/4 {
			t.Errorf("first visit draws %d clusters and %d single markers for %d locations; want them clustered", got.Clusters, got.Singles, all.Locations)
		}

		// A cluster opens to its trucks: the map zooms in, and the list
		// narrows to what is now in view.
		before := got
		tab.do(t, chromedp.Click(chromedp.CSS(".leaflet-marker-pane .marker-cluster")))
		tab.waitFor(t, fmt.Sprintf(`document.querySelectorAll("#results > li").length < %d && !document.querySelector(".leaflet-zoom-anim")`, before.Entries), "the list narrowed after a cluster click")
		tab.settle(t)
		tab.nextFrames(t)
		got = tab.state(t)
		if got.Status != fmt.Sprintf("%d of %d trucks in view", got.Entries, located) {
			t.Errorf("after zooming into a cluster the list has %d entries under %q", got.Entries, got.Status)
		}
		if got.Singles <= before.Singles {
			t.Errorf("after a cluster click %d markers stand on their own (before: %d); the cluster did not open", got.Singles, before.Singles)
		}
		names := map[string]bool{}
		for _, tr := range all.Trucks {
			names[tr.Name] = true
		}
		for _, n := range got.Names {
			if !names[n] {
				t.Errorf("the list shows %q, which the API does not know", n)
			}
		}

		// Searching narrows both the list and the map.
		tacos := app.search(t, "q=tacos")
		tab.do(t, chromedp.SetValue(chromedp.ID("q"), "tacos"))
		tab.do(t, chromedp.Click(chromedp.CSS(`#search-form button[type="submit"]`)))
		tab.waitFor(t, fmt.Sprintf(`document.getElementById("status").innerText === %q`, uiCountsLine(tacos)), "the taco results")
		tab.assertShows(t, tab.state(t), tacos)
		tab.checkNetwork(t, true)
	})

	t.Run("MarkersAndClustersWorkFromTheKeyboard", func(t *testing.T) {
		tab := b.newTab(t, app)
		tacos := app.search(t, "q=tacos")
		tab.navigate(t, app.url+"/?q=tacos")
		got := tab.waitForResults(t)
		tab.assertShows(t, got, tacos)
		if got.Clusters == 0 {
			t.Fatalf("the taco results draw no cluster (%d single markers)", got.Singles)
		}
		// Enter on a focused cluster opens it, like a click: the map zooms in
		// past it (the circle goes) or fans out trucks that share a spot.
		if focused := tab.eval(t, `(() => {
		  const c = document.querySelector(".leaflet-marker-pane .marker-cluster");
		  window.__cluster = c;
		  c.focus();
		  return String(document.activeElement === c);
		})()`); focused != "true" {
			t.Fatal("a cluster cannot take the keyboard focus")
		}
		tab.do(t, chromedp.KeyEvent(kb.Enter))
		tab.waitFor(t, `(!document.body.contains(window.__cluster) || document.querySelector(".leaflet-cluster-spider-leg") !== null) && !document.querySelector(".leaflet-zoom-anim")`, "the cluster opened with Enter")
		tab.settle(t)
		// A single marker is reachable with Tab and opens its card with Enter.
		alt := tab.eval(t, `(() => {
		  const m = document.querySelector(".leaflet-marker-pane .leaflet-marker-icon:not(.marker-cluster)");
		  m.focus();
		  return document.activeElement === m && m.tabIndex === 0 ? m.alt : "";
		})()`)
		if alt == "" {
			t.Fatal("a single marker cannot take the keyboard focus")
		}
		tab.do(t, chromedp.KeyEvent(kb.Enter))
		popup := tab.waitFor(t, `(document.querySelector(".leaflet-popup-content") || {}).innerText`, "a popup opened with Enter on a marker")
		name, _, _ := strings.Cut(alt, ", ")
		if !strings.Contains(popup, name) {
			t.Errorf("Enter on the marker %q opened a popup reading %q", alt, popup)
		}
	})

	t.Run("ClickingAnEntryOpensItsPopup", func(t *testing.T) {
		tab := b.newTab(t, app)
		want := app.search(t, "q=burritos")
		i := slices.IndexFunc(want.Trucks, func(tr foodtrucks.Truck) bool { return len(tr.Branches) > 0 })
		if i < 0 {
			t.Fatal("no burrito truck has a location in the sample data")
		}
		truck := want.Trucks[i]
		tab.navigate(t, app.url+"/?q=burritos")
		tab.assertShows(t, tab.waitForResults(t), want)

		tab.do(t, chromedp.Click(chromedp.CSS(fmt.Sprintf("#results > li:nth-child(%d) .truck-name", i+1))))
		popup := tab.waitFor(t, `(document.querySelector(".leaflet-popup-content") || {}).innerText`, "a popup")
		// The map pans to the truck: its popup points at the middle of the map.
		offCentre := tab.eval(t, `(() => {
		  const tip = document.querySelector(".leaflet-popup-tip").getBoundingClientRect();
		  const map = document.getElementById("map").getBoundingClientRect();
		  return String(Math.round(Math.abs((tip.left + tip.right) / 2 - (map.left + map.right) / 2)));
		})()`)
		if px, err := strconv.Atoi(offCentre); err != nil || px > 10 {
			t.Errorf("the popup points %s px off the middle of the map; the map did not pan to the truck", offCentre)
		}
		for _, part := range []string{truck.Name, truck.Branches[0].Address} {
			if !strings.Contains(popup, part) {
				t.Errorf("popup reads %q, want it to contain %q", popup, part)
			}
		}
		if truck.Branches[0].Schedule != "" {
			href := tab.eval(t, `(document.querySelector(".leaflet-popup-content a") || {}).href || ""`)
			if href != truck.Branches[0].Schedule {
				t.Errorf("popup schedule link = %q, want %q", href, truck.Branches[0].Schedule)
			}
		}
		tab.checkNetwork(t, false)
	})

	t.Run("EmptyResultSuggestsOtherSearches", func(t *testing.T) {
		tab := b.newTab(t, app)
		const nonsense = "qqxzvvkj"
		if got := app.search(t, "q="+nonsense); got.Hits != 0 {
			t.Fatalf("the API finds %d trucks for %q; pick a word that matches nothing", got.Hits, nonsense)
		}
		tab.navigate(t, app.url+"/?q="+nonsense)
		text := tab.waitFor(t, `!document.getElementById("empty").hidden && document.getElementById("empty").innerText`, "the empty state")
		if !strings.Contains(text, "No trucks serve \u201c"+nonsense+"\u201d") || !strings.Contains(text, "tacos") {
			t.Errorf("empty state reads %q, want it to name the search and suggest others", text)
		}
		if got := tab.state(t); got.Entries != 0 || got.Markers != 0 {
			t.Errorf("empty result shows %d entries and %d markers", got.Entries, got.Markers)
		}
		// An example link searches in place and records the search in history.
		tab.do(t, chromedp.Click(chromedp.CSS(`#empty a[href="/?q=tacos"]`)))
		tab.assertShows(t, tab.waitForResults(t), app.search(t, "q=tacos"))
	})

	t.Run("TypingSearchesAfterAPauseAndShowsLoading", func(t *testing.T) {
		tab := b.newTab(t, app)
		want := app.search(t, "q=coffee")
		tab.navigate(t, app.url+"/")
		tab.waitForEveryTruck(t)
		entries := tab.eval(t, `String(history.length)`)
		// A slow engine makes the loading state last long enough to see.
		app.engine.Inject(esfault.Fault{Path: "/_search", Delay: 1500 * time.Millisecond})
		t.Cleanup(app.engine.Clear)
		tab.do(t, chromedp.SendKeys(chromedp.ID("q"), "coffee")) // no Enter, no click
		loading := tab.waitFor(t, `document.getElementById("results").getAttribute("aria-busy") === "true" && document.getElementById("status").innerText`, "the loading state")
		if !strings.Contains(loading, "Searching") || !strings.Contains(loading, "coffee") {
			t.Errorf("while loading the status reads %q", loading)
		}
		got := tab.waitForResults(t)
		tab.assertShows(t, got, want)
		// Typing replaces the history entry instead of adding one per pause.
		if n := tab.eval(t, `String(history.length)`); n != entries || !strings.HasSuffix(got.URL, "/?q=coffee") {
			t.Errorf("after typing: URL %s, history length %s (was %s); want /?q=coffee in the same entry", got.URL, n, entries)
		}
	})

	t.Run("RefusedSearchShowsTheServersReason", func(t *testing.T) {
		tab := b.newTab(t, app)
		long := strings.Repeat("taco", 60) // past the API's limit on q
		status, body := app.get(t, "/search?q="+long)
		var failure struct{ Status, Msg string }
		if err := json.Unmarshal(body, &failure); status != http.StatusBadRequest || err != nil || failure.Msg == "" {
			t.Fatalf("GET /search with a 240-character q = %d %s, want 400 with a msg", status, body)
		}
		tab.navigate(t, app.url+"/?q="+long)
		text := tab.waitFor(t, `!document.getElementById("error").hidden && document.getElementById("error-text").innerText`, "the error state")
		if text != failure.Msg {
			t.Errorf("error state reads %q, want the server's reason %q", text, failure.Msg)
		}
		if got := tab.state(t); got.RetryVisible {
			t.Error("a refused search offers Try again, which would only be refused again")
		}
	})

	t.Run("EngineDownShowsAnErrorAndRetryRecovers", func(t *testing.T) {
		tab := b.newTab(t, app)
		if err := app.engine.SetDown(true); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = app.engine.SetDown(false) })
		status, body := app.get(t, "/search?q=tacos")
		if status != http.StatusServiceUnavailable {
			t.Fatalf("with the engine down the API answers %d %s, want 503", status, body)
		}
		var failure struct{ Status, Msg string }
		if err := json.Unmarshal(body, &failure); err != nil || failure.Status != "failure" || failure.Msg == "" {
			t.Fatalf("503 body %s is not {status: failure, msg}", body)
		}

		tab.navigate(t, app.url+"/?q=tacos")
		text := tab.waitFor(t, `!document.getElementById("error").hidden && document.getElementById("error-text").innerText`, "the error state")
		if !strings.Contains(text, failure.Msg) || !strings.Contains(text, "try again") {
			t.Errorf("error state reads %q, want the server's message %q and a hint to try again", text, failure.Msg)
		}
		if got := tab.state(t); got.Entries != 0 || !got.RetryVisible {
			t.Errorf("error state: %d entries, retry button visible %v", got.Entries, got.RetryVisible)
		}

		if err := app.engine.SetDown(false); err != nil {
			t.Fatal(err)
		}
		want := app.waitForSearch(t, "q=tacos")
		tab.do(t, chromedp.Click(chromedp.ID("retry")))
		tab.assertShows(t, tab.waitForResults(t), want)
	})

	t.Run("DeepLinkAndBackButton", func(t *testing.T) {
		tab := b.newTab(t, app)
		burritos := app.search(t, "q=burritos")
		tab.navigate(t, app.url+"/")
		tab.waitForEveryTruck(t)
		tab.navigate(t, app.url+"/?q=burritos")
		got := tab.waitForResults(t)
		tab.assertShows(t, got, burritos)
		if got.Query != "burritos" {
			t.Errorf("search box holds %q after a deep link to ?q=burritos", got.Query)
		}
		if title := tab.eval(t, `document.title`); !strings.HasPrefix(title, "burritos") {
			t.Errorf("title = %q, want it to name the search", title)
		}

		tab.do(t, chromedp.SetValue(chromedp.ID("q"), "coffee"))
		tab.do(t, chromedp.Click(chromedp.CSS(`#search-form button[type="submit"]`)))
		coffee := app.search(t, "q=coffee")
		tab.waitFor(t, fmt.Sprintf(`document.getElementById("status").innerText === %q`, uiCountsLine(coffee)), "the coffee results")
		tab.assertShows(t, tab.state(t), coffee)

		tab.do(t, chromedp.NavigateBack())
		tab.waitFor(t, fmt.Sprintf(`document.getElementById("status").innerText === %q`, uiCountsLine(burritos)), "the burrito results again after Back")
		got = tab.state(t)
		tab.assertShows(t, got, burritos)
		if got.Query != "burritos" || !strings.HasSuffix(got.URL, "/?q=burritos") {
			t.Errorf("after Back: box %q, URL %s", got.Query, got.URL)
		}
		tab.do(t, chromedp.NavigateBack())
		tab.waitFor(t, `location.search === ""`, "the first page after going back past the first search")
		tab.waitForEveryTruck(t)
	})

	t.Run("KeyboardOnlySearch", func(t *testing.T) {
		tab := b.newTab(t, app)
		want := app.search(t, "q=tacos")
		tab.navigate(t, app.url+"/")
		tab.waitForEveryTruck(t)
		// Tab from the top of the page: the skip link, the home link, the box.
		var order []string
		for range 3 {
			tab.do(t, chromedp.KeyEvent(kb.Tab))
			order = append(order, tab.eval(t, `(e => e.id ? "#" + e.id : e.tagName.toLowerCase() + " " + e.textContent)(document.activeElement)`))
		}
		if want := []string{"a Skip to results", "a SF Food Trucks", "#q"}; !slices.Equal(order, want) {
			t.Fatalf("Tab visits %q, want %q", order, want)
		}
		tab.do(t, chromedp.KeyEvent("tacos"))
		tab.do(t, chromedp.KeyEvent(kb.Enter))
		tab.assertShows(t, tab.waitForResults(t), want)

		// Tab on to the first result and open it with Enter.
		first := slices.IndexFunc(want.Trucks, func(tr foodtrucks.Truck) bool { return len(tr.Branches) > 0 })
		for range 8 {
			tab.do(t, chromedp.KeyEvent(kb.Tab))
			if tab.eval(t, `document.activeElement.classList.contains("truck-name")`) == "true" {
				break
			}
		}
		// Trucks without a location have a disabled button, which Tab skips.
		focused := tab.eval(t, `document.activeElement.textContent`)
		if focused != want.Trucks[first].Name {
			t.Fatalf("Tab after the search box lands on %q, want the first result with a location, %q", focused, want.Trucks[first].Name)
		}
		tab.do(t, chromedp.KeyEvent(kb.Enter))
		popup := tab.waitFor(t, `(document.querySelector(".leaflet-popup-content") || {}).innerText`, "a popup opened with Enter")
		if !strings.Contains(popup, want.Trucks[first].Branches[0].Address) {
			t.Errorf("popup reads %q, want the address %q", popup, want.Trucks[first].Branches[0].Address)
		}
	})

	t.Run("NearMe", func(t *testing.T) {
		tab := b.newTab(t, app)
		lat, lon := 37.7879, -122.4075 // Union Square
		want := app.search(t, fmt.Sprintf("lat=%v&lon=%v&radius=1km", lat, lon))
		if want.Hits == 0 {
			t.Fatal("the API finds no trucks within 1 km of Union Square; the test would prove nothing")
		}
		tab.grantGeolocation(t, app, lat, lon)
		tab.navigate(t, app.url+"/")
		tab.waitForEveryTruck(t)
		tab.do(t, chromedp.Click(chromedp.ID("near-me")))
		got := tab.waitForResults(t)
		tab.assertShows(t, got, want)
		if !strings.Contains(got.Status, "within 1 km") || !strings.Contains(got.FirstEntry, "m away") {
			t.Errorf("geo results: status %q, first entry %q; want the radius and a distance", got.Status, got.FirstEntry)
		}
		if pressed := tab.eval(t, `document.getElementById("near-me").getAttribute("aria-pressed")`); pressed != "true" {
			t.Errorf("during a geo search Near me has aria-pressed=%s", pressed)
		}
		// Pressed again, Near me leaves the geo search.
		tab.do(t, chromedp.Click(chromedp.ID("near-me")))
		tab.waitFor(t, `location.search === ""`, "the first page after leaving the geo search")
		tab.waitForEveryTruck(t)

		denied := b.newTab(t, app)
		denied.denyGeolocation(t, app)
		denied.navigate(t, app.url+"/")
		denied.waitForEveryTruck(t)
		denied.do(t, chromedp.Click(chromedp.ID("near-me")))
		text := denied.waitFor(t, `!document.getElementById("error").hidden && document.getElementById("error-text").innerText`, "the no-permission message")
		if !strings.Contains(text, "permission") || !strings.Contains(text, "search by food") {
			t.Errorf("without permission the page says %q", text)
		}
	})

	// Measurements for the record, not assertions on speed: page weight of a
	// first visit (a byte budget, asserted) and time to the first result.
	t.Run("FirstVisitWeightAndTimeToFirstResult", func(t *testing.T) {
		tab := b.newTab(t, app)
		tab.disableCache(t)
		tab.navigate(t, app.url+"/")
		tab.waitFor(t, `document.readyState === "complete" && / in view$/.test(document.getElementById("status").innerText)`, "the loaded first page with every truck")
		tab.settle(t)
		weight, byURL := tab.bytesTransferred(t)
		t.Logf("first visit to / transferred %d bytes (%.1f KB) in %d requests, tiles excluded:", weight, float64(weight)/1024, len(byURL))
		for _, u := range slices.Sorted(maps.Keys(byURL)) {
			t.Logf("  %7d  %s", byURL[u], strings.TrimPrefix(u, app.url))
		}
		if weight > pageWeightBudget {
			t.Errorf("a first visit transfers %d bytes; the budget is %d", weight, pageWeightBudget)
		}

		deep := b.newTab(t, app)
		deep.disableCache(t)
		deep.navigate(t, app.url+"/?q=tacos")
		deep.waitForResults(t)
		deep.settle(t)
		deepWeight, _ := deep.bytesTransferred(t)
		t.Logf("first visit to /?q=tacos: %d bytes (%.1f KB) with the results and marker images", deepWeight, float64(deepWeight)/1024)
		t.Logf("first visit to /?q=tacos (cold cache): %s", deep.eval(t, uiTimeline))

		// The machine is shared, so one sample says little: take several.
		warm := b.newTab(t, app)
		var samples []int
		for range 7 {
			warm.navigate(t, app.url+"/?q=tacos")
			warm.waitForResults(t)
			ms, err := strconv.Atoi(warm.eval(t, `String(Math.round(performance.getEntriesByName("first-results")[0].startTime))`))
			if err != nil {
				t.Fatal(err)
			}
			samples = append(samples, ms)
		}
		t.Logf("repeat visit to /?q=tacos (warm cache), last: %s", warm.eval(t, uiTimeline))
		slices.Sort(samples)
		t.Logf("time to first result, warm cache, %d visits: min %d ms, median %d ms, max %d ms", len(samples), samples[0], samples[len(samples)/2], samples[len(samples)-1])
	})
}

// uiTimeline reads the page's own clock (ms since navigation start).
const uiTimeline = `(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const api = performance.getEntriesByType("resource").find(e => e.name.includes("/search?"));
  const ms = v => Math.round(v) + " ms";
  return "document received " + ms(nav.responseEnd) +
    ", DOMContentLoaded " + ms(nav.domContentLoadedEventEnd) +
    ", /search fetched " + ms(api.startTime) + "–" + ms(api.responseEnd) +
    ", first result rendered " + ms(performance.getEntriesByName("first-results")[0].startTime);
})()`

// ---- the app under test ----------------------------------------------------

type uiApp struct {
	url    string // http://127.0.0.1:port, no trailing slash
	engine *appEngine
	client *http.Client
}

func (a *uiApp) get(t *testing.T, pathAndQuery string) (int, []byte) {
	t.Helper()
	res, err := a.client.Get(a.url + pathAndQuery)
	if err != nil {
		t.Fatalf("GET %s: %v", pathAndQuery, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", pathAndQuery, err)
	}
	return res.StatusCode, body
}

// search asks the API directly, so the page is checked against what the
// server says, not against numbers written into the test.
func (a *uiApp) search(t *testing.T, query string) foodtrucks.SearchResult {
	t.Helper()
	status, body := a.get(t, "/search?"+query)
	if status != http.StatusOK {
		t.Fatalf("GET /search?%s = %d %s", query, status, body)
	}
	var r foodtrucks.SearchResult
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("GET /search?%s: %v", query, err)
	}
	return r
}

// waitForSearch polls the API until it answers 200, for after the engine
// comes back.
func (a *uiApp) waitForSearch(t *testing.T, query string) foodtrucks.SearchResult {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body := a.get(t, "/search?"+query)
		if status == http.StatusOK {
			var r foodtrucks.SearchResult
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API still answers %d %s 30 s after the engine came back", status, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func uiCountsLine(r foodtrucks.SearchResult) string {
	plural := func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	return plural(r.Hits, "truck", "trucks") + " at " + plural(r.Locations, "location", "locations")
}

// ---- the browser -----------------------------------------------------------

type browserUnderTest struct {
	ctx context.Context
}

func startBrowser(t *testing.T) *browserUnderTest {
	t.Helper()
	var output strings.Builder
	var outputMu sync.Mutex
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		// Containers often give /dev/shm 64 MB, too little for Chromium.
		chromedp.Flag("disable-dev-shm-usage", true),
		// No name outside this machine resolves: tiles (and anything the page
		// should not fetch) fail fast instead of waiting on a network. This,
		// not the DevTools URL blocking, because a DevTools block fires before
		// the Content-Security-Policy check and would hide CSP violations.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
		// A page restored from the back/forward cache gets no new JavaScript
		// context, which leaves the driver waiting; reload it instead.
		chromedp.Flag("disable-features", "BackForwardCache"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(browserLogWriter{&outputMu, &output}),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		outputMu.Lock()
		defer outputMu.Unlock()
		t.Fatalf("starting %s: %v\n%s", chromiumPath, err, output.String())
	}
	return &browserUnderTest{ctx: ctx}
}

type browserLogWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l browserLogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// tab is one browser tab with a record of its network traffic and of the
// page's own errors (uncaught exceptions, CSP violations).
type browserTab struct {
	ctx  context.Context
	host string // host:port of the app

	mu       sync.Mutex
	urls     map[network.RequestID]string
	received map[network.RequestID]float64
	failed   map[network.RequestID]string
}

// uiProblemCollector runs before any page script: it records what the page
// itself would only print to the console.
const uiProblemCollector = `
window.__problems = [];
window.addEventListener("error", function (e) {
  if (e.target && e.target.tagName === "IMG") { window.__problems.push("image failed: " + e.target.src); return; }
  window.__problems.push("error: " + (e.message || e));
}, true);
window.addEventListener("unhandledrejection", function (e) { window.__problems.push("unhandled rejection: " + e.reason); });
document.addEventListener("securitypolicyviolation", function (e) { window.__problems.push("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI); });
`

func (b *browserUnderTest) newTab(t *testing.T, app *uiApp) *browserTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("opening a tab: %v", err)
	}
	u, _ := url.Parse(app.url)
	tb := &browserTab{
		host:     u.Host,
		urls:     map[network.RequestID]string{},
		received: map[network.RequestID]float64{},
		failed:   map[network.RequestID]string{},
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			tb.urls[ev.RequestID] = ev.Request.URL
		case *network.EventLoadingFinished:
			tb.received[ev.RequestID] = ev.EncodedDataLength
		case *network.EventLoadingFailed:
			tb.failed[ev.RequestID] = ev.ErrorText
		}
	}); err != nil {
		cancel()
		t.Fatal(err)
	}
	// One minute per subtest at most; a hung page fails instead of hanging.
	tctx, tcancel := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(func() {
		tb.checkProblems(t)
		tcancel()
		cancel()
	})
	tb.ctx = tctx
	if _, err := chromedp.Call(tctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: uiProblemCollector}); err != nil {
		t.Fatal(err)
	}
	return tb
}

func (tb *browserTab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		t.Fatalf("browser: %v\npage state: %+v", err, tb.stateOrNil())
	}
}

func (tb *browserTab) navigate(t *testing.T, u string) {
	t.Helper()
	tb.do(t, chromedp.Navigate(u))
}

// eval returns the value of a JavaScript expression as text.
func (tb *browserTab) eval(t *testing.T, expr string) string {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[any](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// waitFor polls until expr is truthy and returns its value as text.
func (tb *browserTab) waitFor(t *testing.T, expr, what string) string {
	t.Helper()
	var v any
	var err error
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err = chromedp.Run(tb.ctx, chromedp.Poll[any](expr,
			chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(time.Until(deadline))))
		// A navigation ends the page's JavaScript context under a running
		// poll; poll again in the new document.
		if err == nil || !browserContextGone(err) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("waiting for %s: %v\npage state: %+v", what, err, tb.stateOrNil())
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func browserContextGone(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Cannot find context") || strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Inspected target navigated")
}

// pageState is what a person sees, read from the DOM.
type pageState struct {
	URL          string   `json:"url"`
	Query        string   `json:"query"`
	Status       string   `json:"status"`
	Entries      int      `json:"entries"`
	Names        []string `json:"names"`
	FirstEntry   string   `json:"firstEntry"`
	Locations    []string `json:"locations"`
	DrinksBadges int      `json:"drinksBadges"`
	Markers      int      `json:"markers"`  // marker icons, a cluster counting as its trucks' markers
	Clusters     int      `json:"clusters"` // cluster circles
	Singles      int      `json:"singles"`  // markers drawn on their own
	ErrorText    string   `json:"errorText"`
	RetryVisible bool     `json:"retryVisible"`
	Busy         bool     `json:"busy"`
}

const uiReadState = `(() => {
  const entries = [...document.querySelectorAll("#results > li")];
  const error = document.getElementById("error");
  return {
    url: location.href,
    query: document.getElementById("q").value,
    status: document.getElementById("status").innerText,
    entries: entries.length,
    names: entries.map(li => li.querySelector(".truck-name").textContent),
    firstEntry: entries.length ? entries[0].innerText : "",
    locations: entries.map(li => li.querySelector(".meta span").textContent),
    drinksBadges: document.querySelectorAll("#results .badge").length,
    markers: [...document.querySelectorAll(".leaflet-marker-pane .leaflet-marker-icon")]
      .reduce((n, m) => n + (m.classList.contains("marker-cluster") ? Number(m.textContent) : 1), 0),
    clusters: document.querySelectorAll(".leaflet-marker-pane .marker-cluster").length,
    singles: document.querySelectorAll(".leaflet-marker-pane .leaflet-marker-icon:not(.marker-cluster)").length,
    errorText: error.hidden ? "" : document.getElementById("error-text").innerText,
    retryVisible: !error.hidden && !document.getElementById("retry").hidden,
    busy: document.getElementById("results").getAttribute("aria-busy") === "true",
  };
})()`

func (tb *browserTab) state(t *testing.T) pageState {
	t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[pageState](uiReadState))
	if err != nil {
		t.Fatalf("reading the page: %v", err)
	}
	return s
}

func (tb *browserTab) stateOrNil() *pageState {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](uiReadState))
	if err != nil {
		return nil
	}
	return &s
}

// allTrucks asks the API for every truck, what the first visit shows.
func (a *uiApp) allTrucks(t *testing.T) foodtrucks.SearchResult {
	t.Helper()
	status, body := a.get(t, "/api/trucks")
	if status != http.StatusOK {
		t.Fatalf("GET /api/trucks = %d %s", status, body)
	}
	var r foodtrucks.SearchResult
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("GET /api/trucks: %v", err)
	}
	return r
}

// waitForEveryTruck waits until a visit without a search shows every truck
// and the list of those in view.
func (tb *browserTab) waitForEveryTruck(t *testing.T) {
	t.Helper()
	tb.waitFor(t, `document.getElementById("results").getAttribute("aria-busy") !== "true" && !document.getElementById("intro").hidden && / in view$/.test(document.getElementById("status").innerText)`, "every truck on the map, the list of those in view")
}

// waitForResults waits until a search has finished and shows trucks.
func (tb *browserTab) waitForResults(t *testing.T) pageState {
	t.Helper()
	tb.waitFor(t, `document.getElementById("results").getAttribute("aria-busy") !== "true" && document.querySelectorAll("#results > li").length > 0`, "search results")
	return tb.state(t)
}

// assertShows compares the page with the API's answer: one list entry per
// truck in the API's order, one marker per branch, and the counts line.
func (tb *browserTab) assertShows(t *testing.T, got pageState, want foodtrucks.SearchResult) {
	t.Helper()
	wantNames := make([]string, len(want.Trucks))
	branches := 0
	for i, tr := range want.Trucks {
		wantNames[i] = tr.Name
		branches += len(tr.Branches)
	}
	if got.Entries != want.Hits || !slices.Equal(got.Names, wantNames) {
		t.Errorf("list shows %d entries %q; the API has %d trucks %q", got.Entries, got.Names, want.Hits, wantNames)
	}
	drinks := 0
	for i, tr := range want.Trucks {
		if tr.Drinks {
			drinks++
		}
		wantLocations := fmt.Sprintf("%d locations", len(tr.Branches))
		switch len(tr.Branches) {
		case 0:
			wantLocations = "No location published"
		case 1:
			wantLocations = "1 location"
		}
		if i < len(got.Locations) && got.Locations[i] != wantLocations {
			t.Errorf("entry %d (%s) reads %q, want %q", i+1, tr.Name, got.Locations[i], wantLocations)
		}
	}
	if got.DrinksBadges != drinks {
		t.Errorf("list shows %d drinks badges; the API has %d trucks with drinks", got.DrinksBadges, drinks)
	}
	if got.Markers != want.Locations || got.Markers != branches {
		t.Errorf("map shows %d markers (%d in %d clusters, %d on their own); the API has %d locations (%d branches)", got.Markers, got.Markers-got.Singles, got.Clusters, got.Singles, want.Locations, branches)
	}
	if !strings.HasPrefix(got.Status, uiCountsLine(want)) {
		t.Errorf("counts line %q, want it to start with %q", got.Status, uiCountsLine(want))
	}
}

func (tb *browserTab) checkProblems(t *testing.T) {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__problems || []`))
	if err != nil {
		return // the tab is gone or the test already failed
	}
	for _, p := range problems {
		if strings.HasPrefix(p, "image failed: https://"+tileHost+"/") {
			continue // tiles are blocked by design; the page must cope
		}
		t.Errorf("the page reported: %s", p)
	}
}

// checkNetwork asserts that the page spoke only to the app and to the tile
// server, and that no tile got through: the page worked without them.
func (tb *browserTab) checkNetwork(t *testing.T, wantTileAttempts bool) {
	t.Helper()
	// A blocked tile's failure event comes after its request event; on a
	// busy machine, some time after.
	deadline := time.Now().Add(3 * time.Second)
	for !tb.tilesSettled() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tiles := 0
	for id, raw := range tb.urls {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "data" {
			continue
		}
		switch u.Host {
		case tb.host:
			if reason, failed := tb.failed[id]; failed && !strings.Contains(reason, "ERR_ABORTED") {
				t.Errorf("request to the app failed: %s: %s", raw, reason)
			}
		case tileHost:
			tiles++
			// A tile asked for just now may still be on its way to being
			// refused; one that got through has finished loading.
			if _, loaded := tb.received[id]; loaded {
				t.Errorf("tile request %s was not blocked", raw)
			}
		default:
			t.Errorf("the page contacted %s (%s); only the app and %s are allowed", u.Host, raw, tileHost)
		}
	}
	if wantTileAttempts && tiles == 0 {
		t.Error("the map asked for no tiles at all; is the tile layer there?")
	}
}

// tilesSettled reports whether every tile request seen so far has ended
// in a failure event.
func (tb *browserTab) tilesSettled() bool {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for id, raw := range tb.urls {
		if u, err := url.Parse(raw); err == nil && u.Host == tileHost {
			if _, failed := tb.failed[id]; !failed {
				return false
			}
		}
	}
	return true
}

func (tb *browserTab) disableCache(t *testing.T) {
	t.Helper()
	if _, err := chromedp.Call(tb.ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		t.Fatal(err)
	}
}

// settle waits until no request of the app is in flight for 300 ms, so late
// loads (marker images) are counted.
func (tb *browserTab) settle(t *testing.T) {
	t.Helper()
	quietSince := time.Now()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tb.mu.Lock()
		pending := 0
		for id, raw := range tb.urls {
			_, done := tb.received[id]
			_, failed := tb.failed[id]
			if !done && !failed && !strings.Contains(raw, tileHost) {
				pending++
			}
		}
		tb.mu.Unlock()
		if pending > 0 {
			quietSince = time.Now()
		} else if time.Since(quietSince) > 300*time.Millisecond {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the page kept loading for 10 s")
}

// bytesTransferred sums what came over the wire (headers and compressed
// bodies) from the app, tiles excluded.
func (tb *browserTab) bytesTransferred(t *testing.T) (int, map[string]int) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	total := 0
	byURL := map[string]int{}
	for id, n := range tb.received {
		raw := tb.urls[id]
		if strings.Contains(raw, tileHost) {
			continue
		}
		byURL[raw] += int(n)
		total += int(n)
	}
	if total == 0 {
		t.Fatal("no bytes recorded; is the network domain enabled?")
	}
	return total, byURL
}

// nextFrames waits until the browser has painted twice, so a screenshot
// shows the finished state rather than a frame of a transition.
func (tb *browserTab) nextFrames(t *testing.T) {
	t.Helper()
	tb.do(t, chromedp.Evaluate[chromedp.Void](`new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))`, chromedp.EvalAwaitPromise))
}

func (tb *browserTab) saveScreenshot(t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := filepath.Join(repo.MustRoot(t), "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot saved: %s", p)
}

func (tb *browserTab) grantGeolocation(t *testing.T, app *uiApp, lat, lon float64) {
	t.Helper()
	if _, err := chromedp.CallBrowser(tb.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"},
		Setting:    browser.PermissionSettingGranted,
		Origin:     app.url,
	}); err != nil {
		t.Fatal(err)
	}
	accuracy := 20.0
	if _, err := chromedp.Call(tb.ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
		Latitude: &lat, Longitude: &lon, Accuracy: &accuracy,
	}); err != nil {
		t.Fatal(err)
	}
}

func (tb *browserTab) denyGeolocation(t *testing.T, app *uiApp) {
	t.Helper()
	if _, err := chromedp.CallBrowser(tb.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"},
		Setting:    browser.PermissionSettingDenied,
		Origin:     app.url,
	}); err != nil {
		t.Fatal(err)
	}
}

// ---- starting the app -----------------------------------------------------

// startUIApp runs the real server through run, on a free port of this
// machine, with the real Elasticsearch node (through a fault proxy) and the
// city's sample data, and waits until searches are served.
func startUIApp(t *testing.T) *uiApp {
	t.Helper()
	data := repo.SampleData(t, "sf-mobile-food-permits.json")
	engine := startEngine(t)
	port := strconv.Itoa(freePort(t))
	env := engine.env(map[string]string{
		"PORT":             port,
		"DATA_URL":         data,
		"REFRESH_INTERVAL": "0",
		"LOG_LEVEL":        "warn",
	})
	logs := &browserLogWriter{mu: &sync.Mutex{}, w: &strings.Builder{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"foodtrucks", "serve"}, func(k string) string { return env[k] }, logs, logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("run did not return 15 s after its context ended")
		}
		if t.Failed() {
			logs.mu.Lock()
			defer logs.mu.Unlock()
			out := logs.w.(*strings.Builder).String()
			if len(out) > 4000 {
				out = "…" + out[len(out)-4000:]
			}
			t.Logf("server log (warnings and errors):\n%s", out)
		}
	})

	app := &uiApp{url: "http://127.0.0.1:" + port, engine: engine, client: &http.Client{Timeout: 10 * time.Second}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("the server stopped before it was ready: %v", err)
		default:
		}
		res, err := app.client.Get(app.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return app
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server was not ready 60 s after start (last: %v)", describeProbe(res, err))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func describeProbe(res *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return res.Status
}
