package httpapi

import "net/http"

// addRoutes is the whole HTTP surface on one screen.
func addRoutes(mux *http.ServeMux, d Deps) {
	answers := d.answers()
	searches := handleSearch(d.Logger, answers, d.SearchTimeout)
	mux.Handle("GET /search", searches)
	mux.Handle("GET /api/search", searches)
	mux.Handle("GET /api/trucks", handleAllTrucks(d.Logger, answers, d.SearchTimeout))
	mux.Handle("GET /api/stats", handleStats(d.Logger, d.Stats, d.Cache, d.Gate))
	mux.Handle("GET /healthz", handleHealthz(d.Version))
	mux.Handle("GET /readyz", handleReadyz(d.Logger, d.Ready))

	mux.Handle("GET /api/", notFound())

	if d.UI != nil {
		mux.Handle("GET /", jsonNotFound(d.UI))
	} else {
		mux.Handle("GET /{$}", handleNoUI())
	}
	mux.Handle("/", methodNotAllowed()) // any other method, anywhere: a JSON 405, not the mux's text
}
