package automod

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// sameSettings decides when the compiled rules are stale, field by field:
// a field it forgets would keep old rules after a change. Every leaf
// field of Settings, changed alone, must make it report a difference.
func TestSameSettingsNoticesEveryField(t *testing.T) {
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		for i := range v.NumField() {
			f, name := v.Field(i), path+v.Type().Field(i).Name
			if f.Kind() == reflect.Struct && f.Type() != reflect.TypeFor[time.Duration]() {
				walk(f, name+".")
				continue
			}
			a, b := defaultSettings(), defaultSettings()
			field := fieldAt(reflect.ValueOf(&b).Elem(), name)
			switch field.Kind() {
			case reflect.Bool:
				field.SetBool(!field.Bool())
			case reflect.Int, reflect.Int64:
				field.SetInt(field.Int() + 1)
			case reflect.Uint64:
				field.SetUint(field.Uint() + 1)
			case reflect.String:
				field.SetString(field.String() + "x")
			case reflect.Slice:
				field.Set(reflect.Append(field, reflect.New(field.Type().Elem()).Elem()))
			default:
				t.Fatalf("%s: kind %s not covered by this test", name, field.Kind())
			}
			if sameSettings(&a, &b) {
				t.Errorf("changing %s alone leaves sameSettings true: the compiled rules would not be rebuilt", name)
			}
		}
	}
	walk(reflect.ValueOf(defaultSettings()), "")
}

// fieldAt follows a dotted path of field names.
func fieldAt(v reflect.Value, path string) reflect.Value {
	for _, name := range strings.Split(path, ".") {
		v = v.FieldByName(name)
	}
	return v
}
