package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
)

// Deleter deletes messages; DisgoDeleter makes one from disgo's REST
// client. It answers ErrUnknownMessage for a message already gone and
// ErrTooOld when a bulk delete is refused for a message over 14 days.
type Deleter interface {
	DeleteMessage(ctx context.Context, channel, message snowflake.ID) error
	BulkDeleteMessages(ctx context.Context, channel snowflake.ID, messages []snowflake.ID) error
}

// PurgeResult says what a purge did.
type PurgeResult struct {
	// Deleted counts the messages deleted; Missing those already gone.
	Deleted, Missing int
	// Bulk and Single count the requests made of each kind.
	Bulk, Single int
}

// bulkMaxAge is how old a message may be for bulk delete: 14 days, less
// an hour so that no message crosses the line while the purge runs.
const bulkMaxAge = 14*24*time.Hour - time.Hour

// Purge deletes messages of one channel in as few requests as Discord
// allows (contract A.1.21): messages younger than 14 days through bulk
// delete, 100 at a time (a lone one by itself, since bulk delete takes 2
// to 100), older ones one by one; duplicates are dropped, as bulk delete
// refuses them. Requests go one after another, so the rate limiter paces
// them without a 429. now dates the messages by their IDs. On an error it
// stops and returns what it did.
func Purge(ctx context.Context, d Deleter, channel snowflake.ID, messages []snowflake.ID, now time.Time) (PurgeResult, error) {
	var res PurgeResult
	seen := make(map[snowflake.ID]bool, len(messages))
	var young, old []snowflake.ID
	for _, id := range messages {
		if id == 0 || seen[id] {
			continue
		}
		seen[id] = true
		if now.Sub(id.Time()) < bulkMaxAge {
			young = append(young, id)
		} else {
			old = append(old, id)
		}
	}
	for len(young) >= 2 {
		chunk := young[:min(len(young), 100)]
		young = young[len(chunk):]
		res.Bulk++
		err := d.BulkDeleteMessages(ctx, channel, chunk)
		switch {
		case err == nil:
			res.Deleted += len(chunk)
		case errors.Is(err, ErrTooOld):
			// A message crossed 14 days after all: these go one by one.
			old = append(old, chunk...)
		default:
			return res, err
		}
	}
	for _, id := range append(young, old...) {
		res.Single++
		err := d.DeleteMessage(ctx, channel, id)
		switch {
		case err == nil:
			res.Deleted++
		case errors.Is(err, ErrUnknownMessage):
			res.Missing++
		default:
			return res, err
		}
	}
	return res, nil
}

// DisgoDeleter deletes through disgo's REST client, mapping Discord's
// 10008 Unknown Message and 50034 (too old for bulk delete) to
// ErrUnknownMessage and ErrTooOld.
func DisgoDeleter(r rest.Channels) Deleter { return disgoDeleter{r} }

type disgoDeleter struct{ r rest.Channels }

func (d disgoDeleter) DeleteMessage(ctx context.Context, channel, message snowflake.ID) error {
	return ClassifyDeleteError(d.r.DeleteMessage(channel, message, rest.WithCtx(ctx)))
}

func (d disgoDeleter) BulkDeleteMessages(ctx context.Context, channel snowflake.ID, messages []snowflake.ID) error {
	return ClassifyDeleteError(d.r.BulkDeleteMessages(channel, messages, rest.WithCtx(ctx)))
}

// ClassifyDeleteError marks an error of disgo's delete calls as Purge
// reads them: Discord's 10008 Unknown Message (or a bare 404) joins
// ErrUnknownMessage, 50034 joins ErrTooOld; other errors pass unchanged.
func ClassifyDeleteError(err error) error {
	var re *rest.Error
	if err == nil || !errors.As(err, &re) {
		return err
	}
	switch {
	case re.Code == rest.JSONErrorCodeUnknownMessage || re.Response != nil && re.Response.StatusCode == http.StatusNotFound && re.Code == 0:
		return errors.Join(ErrUnknownMessage, err)
	case re.Code == 50034:
		return errors.Join(ErrTooOld, err)
	}
	return err
}
