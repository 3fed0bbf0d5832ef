// SF Food Trucks front end: search box, result list and a Leaflet map.
// The page state lives in the URL (?q=… or ?lat=…&lon=…&radius=…), so a
// search can be shared and the back button walks through earlier searches.
// Without a search the map shows every truck and the list those in view.
(function () {
  "use strict";

  var SF_CENTER = [37.7749, -122.4194];
  var TYPE_DELAY_MS = 300;
  var MIN_TYPED_CHARS = 2;
  var MAX_CHIPS = 8;

  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  var el = {
    form: document.getElementById("search-form"),
    q: document.getElementById("q"),
    nearMe: document.getElementById("near-me"),
    radius: document.getElementById("radius"),
    status: document.getElementById("status"),
    error: document.getElementById("error"),
    errorText: document.getElementById("error-text"),
    retry: document.getElementById("retry"),
    empty: document.getElementById("empty"),
    emptyText: document.getElementById("empty-text"),
    intro: document.getElementById("intro"),
    results: document.getElementById("results"),
    map: document.getElementById("map")
  };

  // ---- map -------------------------------------------------------------

  // The map is a convenience: if Leaflet or the tiles fail, search and the
  // list keep working, so every map call goes through these guards.
  var map = null;
  var markerLayer = null;
  var hereLayer = null;
  var markerIcon = null;
  var resultBounds = null;
  var userMovedMap = false;
  var zooming = false;
  // While a truck picked from the list is being shown, the list stays as it
  // is: redrawn under the pointer (or the keyboard focus) it would lose the
  // entry that was picked.
  var showingTruck = false;

  // New results are shown at once, without a zoom animation: a click on
  // the list must never race a fit still in progress.
  function fitOptions() {
    return { padding: [30, 30], maxZoom: 16, animate: false };
  }

  function initMap() {
    if (!window.L) {
      return;
    }
    try {
      map = L.map(el.map, { zoomControl: true }).setView(SF_CENTER, 13);
      L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
        maxZoom: 19,
        // OpenStreetMap's tile policy asks for a Referer; keep sending the
        // origin even if the server's Referrer-Policy is stricter.
        referrerPolicy: "strict-origin-when-cross-origin",
        attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
      }).on("tileerror", noteTilesMissing).addTo(map);
      // Nearby trucks gather into one numbered circle; a click zooms to its
      // trucks, or fans them out where they share a spot. Without the
      // plugin's own animation the clusters are redrawn as a zoom ends, so
      // whoever waits for the end of a move finds them settled.
      markerLayer = (L.markerClusterGroup
        ? L.markerClusterGroup({ showCoverageOnHover: false, animate: false })
        : L.layerGroup()).addTo(map);
      // A cluster is focusable like a marker; Enter on it does what a click
      // does (the plugin handles only clicks).
      markerLayer.on("clusterkeypress", function (e) {
        if (e.originalEvent.keyCode !== 13) {
          return;
        }
        var b = e.layer.getBounds();
        if (b.getNorthEast().equals(b.getSouthWest()) || map.getZoom() >= map.getMaxZoom()) {
          e.layer.spiderfy();
        } else {
          e.layer.zoomToBounds();
        }
      });
      // Keep the results in view when the map changes size (a phone turned
      // sideways), unless the person has moved the map themselves.
      map.on("dragstart", function () { userMovedMap = true; showingTruck = false; });
      map.on("popupclose", function () { showingTruck = false; });
      map.on("moveend", function () {
        if (browsing && !showingTruck) {
          renderInView();
        }
      });
      // Leaflet ignores a new view asked for during a zoom animation (the one
      // that fits fresh results, say), so showOnMap waits for it to end.
      map.on("zoomanim", function () { zooming = true; });
      map.on("zoomend", function () { zooming = false; });
      map.on("resize", function () {
        if (resultBounds && !userMovedMap) {
          map.fitBounds(resultBounds, fitOptions());
        }
      });
      hereLayer = L.layerGroup().addTo(map);
      // Leaflet guesses icon paths from its stylesheet, which fails once the
      // file names carry fingerprints; the page names the icons instead.
      var data = document.body.dataset;
      markerIcon = L.icon({
        iconUrl: data.markerIcon,
        iconRetinaUrl: data.markerIcon2x,
        shadowUrl: data.markerShadow,
        iconSize: [25, 41],
        iconAnchor: [12, 41],
        popupAnchor: [1, -34],
        tooltipAnchor: [16, -28],
        shadowSize: [41, 41]
      });
    } catch (err) {
      map = null;
      if (window.console) {
        console.error("map unavailable:", err);
      }
    }
  }

  var tileNotice = null;

  // Without tiles the markers still stand on a blank map; say why once.
  function noteTilesMissing() {
    if (tileNotice || !map) {
      return;
    }
    tileNotice = L.control({ position: "bottomleft" });
    tileNotice.onAdd = function () {
      var box = L.DomUtil.create("div", "tile-notice");
      box.textContent = "Map background unavailable \u2014 markers and the list still work.";
      return box;
    };
    tileNotice.addTo(map);
  }

  function clearMap() {
    if (!map) {
      return;
    }
    markerLayer.clearLayers();
    hereLayer.clearLayers();
    resultBounds = null;
  }

  function popupContent(truck, branch) {
    var box = document.createElement("div");
    box.className = "popup";
    append(box, "h3", truck.name);
    append(box, "p", branch.address || "Address not published").className = "popup-address";
    if (typeof branch.distance === "number") {
      append(box, "p", formatDistance(branch.distance) + " away");
    }
    if (branch.hours) {
      append(box, "p", branch.hours).className = "popup-hours";
    }
    var schedule = safeURL(branch.schedule);
    if (schedule) {
      var p = append(box, "p", "");
      var a = append(p, "a", "Schedule (PDF)");
      a.href = schedule;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return box;
  }

  function addMarkers(trucks, here) {
    var markers = [];
    if (!map) {
      return [];
    }
    var bounds = [];
    var perTruck = trucks.map(function (truck) {
      return (truck.branches || []).map(function (branch) {
        var at = [branch.location.latitude, branch.location.longitude];
        bounds.push(at);
        var marker = L.marker(at, {
          icon: markerIcon,
          title: truck.name,
          alt: truck.name + ", " + (branch.address || "no address")
          // Focusable (Leaflet's default): clustered, only a few dozen
          // markers and circles are on the page at once.
        });
        marker.bindPopup(popupContent(truck, branch));
        markers.push(marker);
        return marker;
      });
    });
    // One call: the cluster group computes its clusters once for all.
    if (markerLayer.addLayers) {
      markerLayer.addLayers(markers);
    } else {
      markers.forEach(function (m) { markerLayer.addLayer(m); });
    }
    if (here) {
      var at = [here.lat, here.lon];
      bounds.push(at);
      L.circleMarker(at, { radius: 8, color: "#0a58ca", weight: 3, fillOpacity: 0.6 })
        .bindTooltip("You are here")
        .addTo(hereLayer);
    }
    resultBounds = bounds.length > 0 ? L.latLngBounds(bounds) : null;
    userMovedMap = false;
    if (resultBounds) {
      map.fitBounds(resultBounds, fitOptions());
    }
    return perTruck;
  }

  function showOnMap(marker) {
    if (!map || !marker) {
      return;
    }
    if (zooming) {
      map.once("zoomend", function () { showOnMap(marker); });
      return;
    }
    var target = marker.getLatLng();
    var zoom = Math.max(map.getZoom(), 16);
    map.closePopup();
    showingTruck = true;
    if (map.getCenter().equals(target) && map.getZoom() === zoom) {
      openPopupOf(marker);
      return;
    }
    // Open the popup once the map is at rest: opened during the zoom
    // animation, its own pan would cut the zoom short.
    userMovedMap = true; // a resize now keeps this truck in view
    map.once("moveend", function () { openPopupOf(marker); });
    // Leaflet starts a zoom animation on the next frame; mark it now so a
    // second click in between waits too.
    zooming = zoom !== map.getZoom() && !reducedMotion;
    map.setView(target, zoom, { animate: !reducedMotion });
  }

  // A marker still inside a cluster at this zoom is not on the map: the
  // cluster group zooms in or fans the cluster out first.
  function openPopupOf(marker) {
    if (markerLayer.zoomToShowLayer && !map.hasLayer(marker)) {
      markerLayer.zoomToShowLayer(marker, function () {
        // It may have zoomed to the cluster's bounds or fanned it out:
        // bring the truck itself to the middle.
        var at = marker.getLatLng();
        if (map.getCenter().equals(at)) {
          marker.openPopup();
          return;
        }
        map.once("moveend", function () { marker.openPopup(); });
        map.panTo(at, { animate: false });
      });
      return;
    }
    marker.openPopup();
  }

  // ---- URL state -------------------------------------------------------

  // A search is {q} or {q, lat, lon, radius}; null means "no search yet".
  function searchFromURL() {
    var params = new URLSearchParams(window.location.search);
    var q = (params.get("q") || "").trim();
    var lat = parseFloat(params.get("lat"));
    var lon = parseFloat(params.get("lon"));
    if (isFinite(lat) && isFinite(lon)) {
      return { q: q, lat: lat, lon: lon, radius: params.get("radius") || el.radius.value };
    }
    return q ? { q: q } : null;
  }

  function urlFor(search) {
    if (!search) {
      return "/";
    }
    var params = new URLSearchParams();
    if (search.q) {
      params.set("q", search.q);
    }
    if (search.lat !== undefined) {
      params.set("lat", search.lat.toFixed(4));
      params.set("lon", search.lon.toFixed(4));
      params.set("radius", search.radius);
    }
    return "/?" + params.toString();
  }

  function apiURL(search) {
    var params = new URLSearchParams();
    if (search.q) {
      params.set("q", search.q);
    }
    if (search.lat !== undefined) {
      params.set("lat", String(search.lat));
      params.set("lon", String(search.lon));
      params.set("radius", search.radius);
    }
    return "/search?" + params.toString();
  }

  // ---- rendering -------------------------------------------------------

  function append(parent, tag, text) {
    var node = document.createElement(tag);
    if (text) {
      node.textContent = text;
    }
    parent.appendChild(node);
    return node;
  }

  function safeURL(raw) {
    if (!raw) {
      return "";
    }
    try {
      var u = new URL(raw, window.location.href);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : "";
    } catch (err) {
      return "";
    }
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  function formatDistance(meters) {
    if (meters < 1000) {
      return Math.round(meters) + " m";
    }
    return (meters / 1000).toFixed(1) + " km";
  }

  function radiusLabel(radius) {
    var option = el.radius.querySelector('option[value="' + radius + '"]');
    return option ? option.textContent : radius;
  }

  function describe(search) {
    var parts = [];
    if (search.q) {
      parts.push("\u201c" + search.q + "\u201d");
    }
    if (search.lat !== undefined) {
      parts.push("within " + radiusLabel(search.radius) + " of you");
    }
    return parts.join(" ");
  }

  function setStatus(text, loading) {
    el.status.textContent = text;
    el.status.classList.toggle("loading", !!loading);
  }

  function hideMessages() {
    el.intro.hidden = true;
    el.empty.hidden = true;
    el.error.hidden = true;
  }

  function clearResults() {
    el.results.textContent = "";
    el.results.removeAttribute("aria-busy");
    browseMarkers = null;
    clearMap();
  }

  function showLoading(text) {
    el.results.setAttribute("aria-busy", "true");
    el.error.hidden = true;
    setStatus(text, true);
  }

  function showError(message, canRetry) {
    hideMessages();
    clearResults();
    setStatus("");
    el.errorText.textContent = message;
    el.retry.hidden = !canRetry;
    el.error.hidden = false;
  }

  function showEmpty(search) {
    hideMessages();
    clearResults();
    setStatus("No trucks found.");
    var text;
    if (search.lat !== undefined && search.q) {
      text = "No trucks serve \u201c" + search.q + "\u201d within " + radiusLabel(search.radius) + " of you \u2014 try a larger radius or another dish.";
    } else if (search.lat !== undefined) {
      text = "No trucks within " + radiusLabel(search.radius) + " of you \u2014 try a larger radius.";
    } else {
      text = "No trucks serve \u201c" + search.q + "\u201d \u2014 try another word or one of these.";
    }
    el.emptyText.textContent = text;
    el.empty.hidden = false;
  }

  function chipMatcher(q) {
    var words = (q || "").toLowerCase().split(/\s+/).filter(function (w) { return w.length >= 3; });
    return function (item) {
      var lower = item.toLowerCase();
      return words.some(function (w) { return lower.indexOf(w.slice(0, 4)) !== -1; });
    };
  }

  function nearestDistance(truck) {
    var best = Infinity;
    (truck.branches || []).forEach(function (b) {
      if (typeof b.distance === "number" && b.distance < best) {
        best = b.distance;
      }
    });
    return best;
  }

  function renderTruck(truck, markers, matches) {
    var li = document.createElement("li");
    li.className = "truck";
    var branches = truck.branches || [];

    var name = append(li, "button", truck.name);
    name.type = "button";
    name.className = "truck-name";
    if (branches.length === 0) {
      name.disabled = true;
    } else {
      name.setAttribute("aria-label", truck.name + ", show on map");
      name.addEventListener("click", function () {
        select(li);
        showOnMap(markers[0]);
      });
    }

    var meta = append(li, "div", "");
    meta.className = "meta";
    append(meta, "span", branches.length === 0 ? "No location published" : plural(branches.length, "location", "locations"));
    var nearest = nearestDistance(truck);
    if (isFinite(nearest)) {
      append(meta, "span", formatDistance(nearest) + " away");
    }
    if (truck.drinks) {
      append(meta, "span", "Drinks").className = "badge";
    }

    var items = truck.fooditems || [];
    if (items.length > 0) {
      var chips = append(li, "ul", "");
      chips.className = "chips";
      chips.setAttribute("aria-label", "Food items");
      items.slice(0, MAX_CHIPS).forEach(function (item) {
        append(chips, "li", item).className = matches(item) ? "chip match" : "chip";
      });
      if (items.length > MAX_CHIPS) {
        var rest = items.slice(MAX_CHIPS).join(", ");
        var more = append(chips, "li", "+" + (items.length - MAX_CHIPS) + " more");
        more.className = "chip more";
        more.title = rest;
        // The title shows on hover only; screen readers get the list itself.
        append(more, "span", ": " + rest).className = "visually-hidden";
      }
    }

    if (branches.length > 1) {
      var details = append(li, "details", "");
      details.className = "branches";
      append(details, "summary", "All " + branches.length + " locations");
      var list = append(details, "ul", "");
      branches.forEach(function (branch, i) {
        var item = append(list, "li", "");
        var label = branch.address || "Address not published";
        if (typeof branch.distance === "number") {
          label += " (" + formatDistance(branch.distance) + ")";
        }
        var button = append(item, "button", label);
        button.type = "button";
        button.className = "branch";
        button.addEventListener("click", function () {
          select(li);
          showOnMap(markers[i]);
        });
      });
    } else if (branches.length === 1 && branches[0].address) {
      append(li, "div", branches[0].address).className = "meta";
    }
    return li;
  }

  function select(li) {
    var previous = el.results.querySelector(".truck.selected");
    if (previous) {
      previous.classList.remove("selected");
    }
    li.classList.add("selected");
  }

  function countsLine(result, search) {
    var line = plural(result.hits, "truck", "trucks") + " at " + plural(result.locations, "location", "locations");
    if (search.lat !== undefined) {
      line += " within " + radiusLabel(search.radius);
    }
    return line;
  }

  // ---- browsing: every truck, the list showing those in view ------------

  var browsing = false;
  var everyTruck = null; // the answer of /api/trucks, asked for once per visit
  var browseMarkers = null;

  function browse() {
    lastSearch = null;
    browsing = true;
    el.nearMe.setAttribute("aria-pressed", "false");
    hideMessages();
    clearResults();
    el.intro.hidden = false;
    if (everyTruck) {
      showEveryTruck();
      return;
    }
    showLoading("Loading the trucks\u2026");
    request("/api/trucks", function (body) {
      everyTruck = body;
      showEveryTruck();
    });
  }

  function showEveryTruck() {
    browseMarkers = addMarkers(everyTruck.trucks || [], null);
    renderInView();
  }

  function located(truck) {
    return (truck.branches || []).length > 0;
  }

  function inView(truck, bounds) {
    return (truck.branches || []).some(function (b) {
      return bounds.contains([b.location.latitude, b.location.longitude]);
    });
  }

  function renderInView() {
    if (!everyTruck || !browseMarkers) {
      return;
    }
    var bounds = map ? map.getBounds() : null;
    var trucks = everyTruck.trucks || [];
    var fragment = document.createDocumentFragment();
    var shown = 0;
    var noMatch = function () { return false; };
    trucks.forEach(function (truck, i) {
      if (bounds ? !inView(truck, bounds) : !located(truck)) {
        return;
      }
      shown++;
      fragment.appendChild(renderTruck(truck, browseMarkers[i] || [], noMatch));
    });
    el.results.textContent = "";
    el.results.removeAttribute("aria-busy");
    el.results.appendChild(fragment);
    setStatus(shown + " of " + plural(trucks.filter(located).length, "truck", "trucks") + " in view");
  }

  var firstResultsMarked = false;

  function showResults(result, search) {
    hideMessages();
    clearResults();
    var trucks = result.trucks || [];
    if (trucks.length === 0) {
      showEmpty(search);
      return;
    }
    var here = search.lat !== undefined ? { lat: search.lat, lon: search.lon } : null;
    var markers = addMarkers(trucks, here);
    var matches = chipMatcher(search.q);
    var fragment = document.createDocumentFragment();
    trucks.forEach(function (truck, i) {
      fragment.appendChild(renderTruck(truck, markers[i] || [], matches));
    });
    el.results.appendChild(fragment);
    setStatus(countsLine(result, search));
    if (!firstResultsMarked && window.performance && performance.mark) {
      firstResultsMarked = true;
      performance.mark("first-results");
    }
  }

  // ---- searching -------------------------------------------------------

  var inFlight = null;
  var lastSearch = null;

  function run(search) {
    lastSearch = search;
    browsing = false;
    el.nearMe.setAttribute("aria-pressed", search.lat !== undefined ? "true" : "false");
    showLoading("Searching " + describe(search) + "\u2026");
    request(apiURL(search), function (body) { showResults(body, search); });
  }

  // request asks the API and hands a successful answer to done; a newer
  // request supersedes it, and failures show the server's reason.
  function request(url, done) {
    if (inFlight) {
      inFlight.abort();
    }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    inFlight = controller;
    fetch(url, { headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined })
      .then(function (res) {
        return res.json().then(
          function (body) { return { ok: res.ok, status: res.status, body: body }; },
          function () { return { ok: false, status: res.status, body: null }; }
        );
      })
      .then(function (reply) {
        if (inFlight !== controller) {
          return; // a newer search superseded this one
        }
        inFlight = null;
        if (reply.ok && reply.body && reply.body.status === "success") {
          done(reply.body);
          return;
        }
        var msg = reply.body && reply.body.msg;
        if (reply.status >= 400 && reply.status < 500) {
          showError(msg || "That search could not be understood.", false);
        } else {
          showError((msg ? msg + ". " : "") + "The truck search is unavailable right now; please try again in a moment.", true);
        }
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") {
          return;
        }
        if (inFlight !== controller) {
          return;
        }
        inFlight = null;
        showError("Could not reach the server. Check your connection and try again.", true);
      });
  }

  // navigate records a search in the history (push) or replaces the current
  // entry (while typing, so one word does not leave five history entries).
  function navigate(search, how) {
    var url = urlFor(search);
    var current = window.location.pathname + window.location.search;
    if (url !== current) {
      if (how === "push") {
        history.pushState(null, "", url);
      } else {
        history.replaceState(null, "", url);
      }
    }
    if (search) {
      document.title = (search.q ? search.q + " \u2013 " : "") + "SF Food Trucks";
      run(search);
    } else {
      document.title = "SF Food Trucks";
      cancel();
      browse();
    }
  }

  function cancel() {
    if (inFlight) {
      inFlight.abort();
      inFlight = null;
    }
  }

  // Searches from the box keep a geo search's centre, so "Near me" followed by
  // typing narrows the trucks around you.
  function searchFromBox() {
    var q = el.q.value.trim();
    if (lastSearch && lastSearch.lat !== undefined) {
      return { q: q, lat: lastSearch.lat, lon: lastSearch.lon, radius: el.radius.value };
    }
    return q ? { q: q } : null;
  }

  var typingTimer = null;

  el.form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(typingTimer);
    var search = searchFromBox();
    if (!search) {
      el.q.focus();
      return;
    }
    navigate(search, "push");
  });

  el.q.addEventListener("input", function () {
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () {
      var q = el.q.value.trim();
      var geo = lastSearch && lastSearch.lat !== undefined;
      if (q.length > 0 && q.length < MIN_TYPED_CHARS && !geo) {
        return;
      }
      navigate(searchFromBox(), "replace");
    }, TYPE_DELAY_MS);
  });

  el.retry.addEventListener("click", function () {
    if (lastSearch) {
      run(lastSearch);
    } else {
      browse();
    }
  });

  el.radius.addEventListener("change", function () {
    if (lastSearch && lastSearch.lat !== undefined) {
      navigate(searchFromBox(), "push");
    }
  });

  el.nearMe.addEventListener("click", function () {
    // Pressed again, "Near me" goes back to searching all of the city.
    if (lastSearch && lastSearch.lat !== undefined) {
      var q = el.q.value.trim();
      navigate(q ? { q: q } : null, "push");
      return;
    }
    if (!window.isSecureContext) {
      showError("\u201cNear me\u201d needs a secure (https) connection to ask for your location. Search by food instead.", false);
      return;
    }
    if (!navigator.geolocation) {
      showError("This browser cannot share your location, so \u201cNear me\u201d is not available. Search by food instead.", false);
      return;
    }
    showLoading("Finding your location\u2026");
    navigator.geolocation.getCurrentPosition(function (pos) {
      navigate({
        q: el.q.value.trim(),
        lat: pos.coords.latitude,
        lon: pos.coords.longitude,
        radius: el.radius.value
      }, "push");
    }, function (err) {
      var text = err && err.code === 1
        ? "Location permission was not given, so we cannot look near you. Allow location for this site and try again, or search by food instead."
        : "Your location could not be found right now. Try again, or search by food instead.";
      showError(text, false);
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 });
  });

  // Example links work without JavaScript; with it they search in place.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".examples a");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    var q = new URL(link.href).searchParams.get("q") || "";
    el.q.value = q;
    navigate({ q: q }, "push");
  });

  window.addEventListener("popstate", function () {
    fromURL();
  });

  function fromURL() {
    var search = searchFromURL();
    lastSearch = null;
    el.nearMe.setAttribute("aria-pressed", "false");
    el.q.value = search ? search.q : "";
    if (search && search.radius) {
      el.radius.value = search.radius;
    }
    if (search) {
      document.title = (search.q ? search.q + " \u2013 " : "") + "SF Food Trucks";
      run(search);
    } else {
      document.title = "SF Food Trucks";
      cancel();
      browse();
    }
  }

  initMap();
  fromURL();
})();
