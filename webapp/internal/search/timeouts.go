package search

import (
	"context"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
)

// Every request to Elasticsearch is bounded by one of these, whatever the
// caller's context says: a hung engine (process stopped, socket open) must
// turn into a prompt 503, never into a request that outlives the server's
// drain on SIGTERM (8 s). A proxy between the app and Elasticsearch (ECS
// Service Connect in the prod stack) must allow at least BulkTimeout per
// request, the largest of them: contract.LongestElasticsearchCall.
const (
	// SearchTimeout bounds one search: a stalled engine answers 503 with
	// Retry-After after this long.
	SearchTimeout = 2 * time.Second
	// ProbeTimeout bounds the cheap reads: ping, the alias check, readiness
	// and the stats behind /api/stats (whose handlers cut them shorter).
	// A busy node can take a second for them; a hung one never answers.
	ProbeTimeout = 3 * time.Second
	// LeaseTimeout bounds one request on the load lease.
	LeaseTimeout = 3 * time.Second
	// AdminTimeout bounds index creation, refresh, alias swaps and deletes.
	AdminTimeout = 15 * time.Second
	// BulkTimeout bounds one bulk request (BulkBatchDocs documents).
	BulkTimeout = contract.LongestElasticsearchCall
)

// timeoutOf picks the bound of one request by its kind.
func timeoutOf(req esapi.Request) time.Duration {
	switch req.(type) {
	case esapi.SearchRequest, *esapi.SearchRequest:
		return SearchTimeout
	case esapi.InfoRequest, esapi.IndicesExistsAliasRequest, esapi.IndicesGetAliasRequest, esapi.CountRequest,
		esapi.CatIndicesRequest, esapi.IndicesExistsRequest:
		return ProbeTimeout
	case esapi.CreateRequest, esapi.GetRequest, esapi.IndexRequest, esapi.DeleteRequest:
		return LeaseTimeout
	case esapi.BulkRequest:
		return BulkTimeout
	}
	return AdminTimeout
}

// bounded returns ctx limited to the bound of req (or the caller's own
// deadline, when that is sooner).
func bounded(ctx context.Context, req esapi.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, timeoutOf(req))
}
