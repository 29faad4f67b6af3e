package config

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts every environment variable wirewatch reads.
const EnvPrefix = "WIREWATCH_"

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// EnvKey returns the environment variable for a dotted key:
// "daemon.poll_workers" → "WIREWATCH_DAEMON_POLL_WORKERS".
func EnvKey(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// field is one settable leaf of the configuration.
type field struct {
	key string // dotted YAML path
	v   reflect.Value
	doc reflect.StructField
}

// leaves lists the scalar and list-of-scalar settings under v, in order.
func leaves(prefix string, v reflect.Value) []field {
	var out []field
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name := strings.Split(sf.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != durationType {
			out = append(out, leaves(key, fv)...)
			continue
		}
		if fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct {
			continue // lists of records (subscribers) come from the file only
		}
		out = append(out, field{key: key, v: fv, doc: sf})
	}
	return out
}

// Keys lists every setting that an environment variable can override, with
// its dotted key and Go type, for the configuration reference.
func Keys() []string {
	c := Default()
	var out []string
	for _, f := range leaves("", reflect.ValueOf(&c).Elem()) {
		out = append(out, f.key)
	}
	return out
}

func applyEnv(cfg *Config, environ []string) error {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}
	known := map[string]bool{}
	for _, f := range leaves("", reflect.ValueOf(cfg).Elem()) {
		name := EnvKey(f.key)
		known[name] = true
		raw, ok := env[name]
		if !ok {
			continue
		}
		if err := setFromString(f.v, raw); err != nil {
			shown := raw
			if f.v.Type() == secretType || strings.Contains(f.key, "url") {
				shown = RedactURL(raw)
				if f.v.Type() == secretType {
					shown = redacted
				}
			}
			return &Error{File: "environment", Key: name, Msg: fmt.Sprintf("%v (got %q)", err, shown)}
		}
	}
	for k := range env {
		if !known[k] && !ignoredEnv[k] && !strings.HasPrefix(k, "WIREWATCH_TEST_") && !isServiceLink(k, env[k]) {
			return &Error{File: "environment", Key: k, Msg: "unknown setting (see the configuration reference in the README)"}
		}
	}
	return nil
}

// ignoredEnv lists WIREWATCH_ variables that are not settings (besides
// WIREWATCH_TEST_…, used by the test suite).
var ignoredEnv = map[string]bool{
	"WIREWATCH_CONFIG": true,
}

func setFromString(v reflect.Value, raw string) error {
	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("want a duration such as 30s or 5m")
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number")
		}
		v.SetInt(n)
	case reflect.Float64, reflect.Float32:
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		v.SetFloat(f)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String && v.Type().Elem() != durationType {
			return fmt.Errorf("cannot be set from the environment")
		}
		var parts []string
		for p := range strings.SplitSeq(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		s := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			if err := setFromString(s.Index(i), p); err != nil {
				return fmt.Errorf("item %d: %w", i+1, err)
			}
		}
		v.Set(s)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// resolveSecretFiles reads every XFile field into its Secret sibling X,
// anywhere in the configuration (also inside lists such as subscribers).
func resolveSecretFiles(cfg *Config, name string) error {
	return walkSecrets("", reflect.ValueOf(cfg).Elem(), name)
}

func walkSecrets(prefix string, v reflect.Value, name string) error {
	switch v.Kind() {
	case reflect.Slice:
		for i := range v.Len() {
			if err := walkSecrets(fmt.Sprintf("%s[%d]", prefix, i), v.Index(i), name); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		// Map values cannot be set in place: resolve a copy, store it back.
		for _, k := range v.MapKeys() {
			cp := reflect.New(v.Type().Elem()).Elem()
			cp.Set(v.MapIndex(k))
			if err := walkSecrets(fmt.Sprintf("%s.%v", prefix, k), cp, name); err != nil {
				return err
			}
			v.SetMapIndex(k, cp)
		}
		return nil
	case reflect.Struct:
	default:
		return nil
	}
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := strings.Split(sf.Tag.Get("yaml"), ",")[0]
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		fv := v.Field(i)
		if fv.Type() == secretType {
			fileField := v.FieldByName(sf.Name + "File")
			if !fileField.IsValid() || fileField.String() == "" {
				continue
			}
			b, err := os.ReadFile(fileField.String())
			if err != nil {
				return &Error{File: name, Key: key + "_file", Msg: fmt.Sprintf("cannot read the secret file: %v", err)}
			}
			fv.SetString(strings.TrimRight(string(b), "\r\n"))
			continue
		}
		if fv.Kind() == reflect.Struct || fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map {
			if err := walkSecrets(key, fv, name); err != nil {
				return err
			}
		}
	}
	return nil
}
