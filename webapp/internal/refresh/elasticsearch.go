package refresh

import (
	"context"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

// Elasticsearch is the Engine of a search client.
func Elasticsearch(c *search.Client) Engine { return client{c} }

type client struct{ c *search.Client }

func (e client) Ping(ctx context.Context) error { return e.c.Ping(ctx) }

func (e client) State(ctx context.Context) (search.AliasState, error) { return e.c.State(ctx) }

func (e client) AcquireLease(ctx context.Context, holder string, ttl time.Duration) (Lease, error) {
	l, err := e.c.AcquireLease(ctx, holder, ttl)
	if err != nil {
		return nil, err
	}
	return l, nil
}

func (e client) LeaseFree(ctx context.Context) (bool, error) {
	info, held, err := e.c.Lease(ctx)
	if err != nil {
		return false, err
	}
	return !held || time.Now().After(info.Expires), nil
}

func (e client) Load(ctx context.Context, lease Lease, p []foodtrucks.Permit) (search.LoadResult, error) {
	return e.c.Load(ctx, lease, p)
}

func (e client) DeleteOrphans(ctx context.Context, leaseFree func(context.Context) (bool, error)) ([]string, error) {
	return e.c.DeleteOrphans(ctx, leaseFree)
}
