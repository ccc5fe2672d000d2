package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// settingsTTL bounds how long a decoded settings section stays cached.
// Writes through the store invalidate it at once; the TTL only returns
// memory for guilds gone quiet.
const settingsTTL = 10 * time.Minute

// Settings is one module's settings section, per guild, as a typed
// struct T: stored as JSON in guild_settings, decoded over the module's
// defaults, validated, and cached (with the store's cache) until the next
// change. Every change goes to the settings history ([Store.SettingsHistory])
// and can be reverted ([Store.RevertChange]).
//
// T is encoded with encoding/json: give its fields json tags, and keep
// them stable (a renamed field reads as its default). A guild with nothing
// stored gets the defaults; a stored section holds every field of T as it
// was saved, so changing a default later changes it only for guilds that
// never saved their section.
//
// A Settings is safe for concurrent use. Get returns a value shared with
// other callers when it comes from the cache: treat the slices and maps
// in it as read-only, and change settings with Put or Update.
type Settings[T any] struct {
	st       *Store
	module   string
	defaults func() T
	validate func(*T) error
}

// NewSettings returns the settings section of module. defaults returns
// the settings of a guild that has saved none (a fresh value on each call,
// so that slices and maps are never shared; nil means T's zero value);
// validate, which may be nil, checks a value before it is saved and after
// it is read, and may normalise it.
func NewSettings[T any](s *Store, module string, defaults func() T, validate func(*T) error) *Settings[T] {
	if defaults == nil {
		defaults = func() T { var zero T; return zero }
	}
	if validate == nil {
		validate = func(*T) error { return nil }
	}
	return &Settings[T]{st: s, module: module, defaults: defaults, validate: validate}
}

// Get returns the settings of the guild: what was saved, decoded over the
// defaults, or the defaults. When what is stored no longer decodes or
// validates (a rule tightened since it was saved), Get returns the
// defaults and an error wrapping ErrInvalidSettings, and the caller
// chooses between them.
func (x *Settings[T]) Get(ctx context.Context, guildID uint64) (T, error) {
	key := settingsKey(x.module, guildID)
	d, err := readThrough(ctx, x.st.cache, key, settingsTTL, 0, func(ctx context.Context) (*decoded[T], error) {
		raw, err := querySettings(ctx, x.st.readDB(), guildID, x.module)
		if err != nil {
			return nil, err
		}
		v, err := x.decode(raw, false)
		if err != nil {
			return nil, err
		}
		return &decoded[T]{v: v, cost: 2*int64(len(raw)) + 64}, nil
	})
	if err != nil {
		return x.defaults(), fmt.Errorf("store: settings of module %q in guild %d: %w", x.module, guildID, err)
	}
	return d.v, nil
}

// decoded is a section as the cache holds it, with about the memory it
// takes (its JSON's length, twice, as a guess at the decoded size).
type decoded[T any] struct {
	v    T
	cost int64
}

// CacheCost returns the entry's cost for the cache.
func (d *decoded[T]) CacheCost() int64 { return d.cost }

// decode decodes raw (nil: nothing stored) over the defaults and
// validates the result; strict refuses unknown fields.
func (x *Settings[T]) decode(raw []byte, strict bool) (T, error) {
	v := x.defaults()
	if raw != nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		if strict {
			dec.DisallowUnknownFields()
		}
		if err := dec.Decode(&v); err != nil {
			return x.defaults(), invalidSettings(err)
		}
		if dec.More() {
			return x.defaults(), invalidSettings(errors.New("data after the JSON object"))
		}
	}
	if err := x.validate(&v); err != nil {
		return x.defaults(), invalidSettings(err)
	}
	return v, nil
}

// Put validates v and saves it as the guild's settings, recording the
// change as made by by. It returns the change (ID 0 when v equals what is
// stored). An invalid v is refused with an error wrapping
// ErrInvalidSettings and the validation error.
func (x *Settings[T]) Put(ctx context.Context, guildID uint64, v T, by Actor) (Change, error) {
	var ch Change
	err := x.write(ctx, guildID, func(tx *sql.Tx) error {
		raw, err := x.encode(&v)
		if err != nil {
			return err
		}
		ch, err = x.st.putSettingsTx(ctx, tx, guildID, x.module, raw, by)
		return err
	})
	return ch, err
}

// PutJSON decodes raw strictly (an unknown field is an error) over the
// defaults, validates it and saves it: the path for settings typed by a
// person (a dashboard, a command taking JSON). It returns the settings
// saved and the change.
func (x *Settings[T]) PutJSON(ctx context.Context, guildID uint64, raw []byte, by Actor) (T, Change, error) {
	v, err := x.decode(raw, true)
	if err != nil {
		return v, Change{}, fmt.Errorf("store: settings of module %q in guild %d: %w", x.module, guildID, err)
	}
	ch, err := x.Put(ctx, guildID, v, by)
	return v, ch, err
}

// Update reads the guild's settings, lets fn change them, validates and
// saves the result, all in one write transaction, so that two updates at
// once never lose one another's change. An error from fn is returned as
// is and nothing is saved. It returns the settings saved and the change.
func (x *Settings[T]) Update(ctx context.Context, guildID uint64, by Actor, fn func(*T) error) (T, Change, error) {
	var (
		v  T
		ch Change
	)
	err := x.write(ctx, guildID, func(tx *sql.Tx) error {
		raw, err := querySettings(ctx, tx, guildID, x.module)
		if err != nil {
			return err
		}
		// What is stored may no longer validate: fn may be the fix, so
		// only the result must.
		v = x.defaults()
		if raw != nil {
			if err := json.Unmarshal(raw, &v); err != nil {
				return invalidSettings(err)
			}
		}
		if err := fn(&v); err != nil {
			return userError{err}
		}
		enc, err := x.encode(&v)
		if err != nil {
			return err
		}
		ch, err = x.st.putSettingsTx(ctx, tx, guildID, x.module, enc, by)
		return err
	})
	var ue userError
	if errors.As(err, &ue) {
		return v, Change{}, ue.err
	}
	return v, ch, err
}

// userError carries fn's error through Update's transaction unwrapped.
type userError struct{ err error }

func (e userError) Error() string { return e.err.Error() }

// Reset removes the guild's settings, so that the defaults apply, and
// records the change.
func (x *Settings[T]) Reset(ctx context.Context, guildID uint64, by Actor) (Change, error) {
	var ch Change
	err := x.write(ctx, guildID, func(tx *sql.Tx) error {
		var err error
		ch, err = x.st.putSettingsTx(ctx, tx, guildID, x.module, nil, by)
		return err
	})
	return ch, err
}

// encode validates v and encodes it.
func (x *Settings[T]) encode(v *T) (json.RawMessage, error) {
	if err := x.validate(v); err != nil {
		return nil, invalidSettings(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, invalidSettings(fmt.Errorf("encode: %w", err))
	}
	return raw, nil
}

// write runs fn in a write transaction that invalidates the guild's
// cached section.
func (x *Settings[T]) write(ctx context.Context, guildID uint64, fn func(tx *sql.Tx) error) error {
	if x.module == "" {
		return errors.New("store: settings: empty module name")
	}
	err := x.st.WriteInvalidate(ctx, []string{settingsKey(x.module, guildID)}, fn)
	var ue userError
	if err != nil && !errors.As(err, &ue) {
		return fmt.Errorf("store: settings of module %q in guild %d: %w", x.module, guildID, err)
	}
	return err
}
