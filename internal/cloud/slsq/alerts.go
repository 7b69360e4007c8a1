package slsq

import (
	"context"
	"fmt"
)

// CreateAlert creates an SLS alert rule (an Alert 2.0 job: POST /jobs) in
// project from its JSON definition, as CreateAlert documents it. An
// existing rule of the same name is an *Error with SLS's code (the caller
// decides whether that is a failure).
func (c *Client) CreateAlert(ctx context.Context, project string, definition []byte) error {
	ch := make(chan error, 1)
	go func() { ch <- c.c.CreateAlertString(project, string(definition)) }()
	select {
	case err := <-ch:
		if err != nil {
			return mapError("sls:CreateAlert", project, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sls: create an alert rule in %s: %w", project, ctx.Err())
	}
}
