package bot

import (
	"path/filepath"

	"github.com/hearthbot/hearth/store"
)

// Expirer is a module that keeps data for a limited time: the host's
// retention job deletes rows older than each Expiry's MaxAge, every
// store.retention_every.
type Expirer interface {
	Expiries() []store.Expiry
}

// startMaintenance starts the scheduled backups and the retention job;
// both stop when the run's base context ends.
func (rt *Runtime) startMaintenance() {
	if rt.store == nil {
		return
	}
	sc := rt.cfg.Store
	var rules []store.Expiry
	for _, ms := range rt.modules {
		if e, ok := ms.m.(Expirer); ok && ms.inited {
			rules = append(rules, e.Expiries()...)
		}
	}
	ret := &store.Retention{Store: rt.store, Rules: rules, Every: sc.RetentionEvery, Log: rt.log.Named("retention")}
	rt.maintenance.Add(1)
	go func() {
		defer rt.maintenance.Done()
		_ = ret.Run(rt.baseCtx)
	}()
	rt.maintenance.Add(1)
	go func() {
		defer rt.maintenance.Done()
		rt.departureLoop(rt.baseCtx)
	}()
	if sc.BackupEvery <= 0 {
		return
	}
	b := &store.Backups{Store: rt.store, Dir: BackupDir(sc.Path, sc.BackupDir), Every: sc.BackupEvery, Keep: sc.BackupKeep,
		Log: rt.log.Named("backups")}
	rt.maintenance.Add(1)
	go func() {
		defer rt.maintenance.Done()
		_ = b.Run(rt.baseCtx)
	}()
}

// BackupDir is where backups go: dir, or a "backups" folder beside the
// database when dir is empty.
func BackupDir(dbPath, dir string) string {
	if dir != "" {
		return dir
	}
	return filepath.Join(filepath.Dir(dbPath), "backups")
}
