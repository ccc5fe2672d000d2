package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/store"
)

// UserData is everything the bot holds about one person: the host's own
// records (the guild settings they changed) and what each module's
// ExportUser returned, by module ID.
type UserData struct {
	User            snowflake.ID     `json:"user_id"`
	Exported        time.Time        `json:"exported_at"`
	SettingsChanges store.UserExport `json:"settings_changes"`
	Modules         map[string]any   `json:"modules"`
	// Failed names each module whose export failed, and why ("settings"
	// for the host's own records): the others are still here.
	Failed map[string]string `json:"failed,omitempty"`
}

// Erasure is what DeleteUser did: how many of the host's settings
// records it anonymised, the modules that erased the person's data, and
// those that failed, with why ("settings" for the host's own records).
type Erasure struct {
	User               snowflake.ID      `json:"user_id"`
	SettingsAnonymised int64             `json:"settings_changes_anonymised"`
	Erased             []string          `json:"erased"`
	Failed             map[string]string `json:"failed,omitempty"`
}

// errNotReady is returned while the modules are still starting.
var errNotReady = errors.New("bot: still starting; try again once /readyz says ready")

// ExportUser returns the host's records of user (the guild settings they
// changed) and asks every running module that holds personal data for
// what it holds about them. A module that fails or panics is listed in
// Failed, the others' exports are kept, and the error says how many
// failed.
func (rt *Runtime) ExportUser(ctx context.Context, user snowflake.ID) (UserData, error) {
	out := UserData{User: user, Exported: time.Now().UTC(), Modules: map[string]any{}, Failed: map[string]string{}}
	if !rt.readyOnce.Load() {
		return out, errNotReady
	}
	if rt.store != nil {
		changes, err := rt.store.ExportSettingsChanges(ctx, uint64(user))
		if err != nil {
			out.Failed[settingsPart] = err.Error()
		}
		out.SettingsChanges = changes
	}
	rt.eachPersonal("ExportUser", out.Failed, func(id string, p PersonalData) error {
		data, err := p.ExportUser(ctx, user)
		if err == nil {
			out.Modules[id] = data
		}
		return err
	})
	if len(out.Failed) > 0 {
		// A partial export does not answer an access request: say so.
		return out, fmt.Errorf("bot: user %d: %d parts could not be exported (see failed)", user, len(out.Failed))
	}
	return out, nil
}

// DeleteUser anonymises the host's records of user (the settings changes
// stay, without their ID and reasons) and asks every running module that
// holds personal data to erase what it holds about them. One failing does
// not stop the others; each failure is in Failed, and the error says how
// many failed.
func (rt *Runtime) DeleteUser(ctx context.Context, user snowflake.ID) (Erasure, error) {
	out := Erasure{User: user, Erased: []string{}, Failed: map[string]string{}}
	if !rt.readyOnce.Load() {
		return out, errNotReady
	}
	if rt.store != nil {
		n, err := rt.store.ForgetSettingsChanges(ctx, uint64(user))
		if err != nil {
			out.Failed[settingsPart] = err.Error()
		}
		out.SettingsAnonymised = n
	}
	out.Erased = rt.eachPersonal("DeleteUser", out.Failed, func(_ string, p PersonalData) error {
		return p.DeleteUser(ctx, user)
	})
	if len(out.Failed) > 0 {
		return out, fmt.Errorf("bot: user %d: %d parts could not be erased (see failed)", user, len(out.Failed))
	}
	rt.log.Info("personal data erased", zap.Uint64("user_id", uint64(user)), zap.Strings("modules", out.Erased))
	return out, nil
}

// settingsPart names the host's own records in Failed.
const settingsPart = "settings"

// eachPersonal calls do with every running module that holds personal
// data, in start order, each call guarded against panics. It records in
// failed why a module failed, and returns the IDs of those that did not.
func (rt *Runtime) eachPersonal(method string, failed map[string]string, do func(id string, p PersonalData) error) []string {
	ok := []string{}
	for _, ms := range rt.modules {
		p, holds := ms.m.(PersonalData)
		if !holds || !ms.inited {
			continue
		}
		id := ms.m.ID()
		if err := ms.call(method, func() error { return do(id, p) }); err != nil {
			failed[id] = err.Error()
			continue
		}
		ok = append(ok, id)
	}
	return ok
}
