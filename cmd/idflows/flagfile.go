package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// applyConfigFile sets the flags of fs that the command line left unset from a YAML file whose
// keys are the flags' names (`target: https://…`, `allow-skips: true`, `header: [K: V, …]`),
// so a team can commit its settings. Flags given on the command line win, then the environment
// variables in env (flag name → variable), then the file; an unknown key is an error, as is a
// value its flag refuses.
func applyConfigFile(fs *flag.FlagSet, path string, env map[string]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for key, v := range values {
		f := fs.Lookup(key)
		if f == nil || key == "config" {
			return fmt.Errorf("%s: unknown key %q (the keys are the flags' names)", path, key)
		}
		if given[key] || env[key] != "" && os.Getenv(env[key]) != "" {
			continue
		}
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		for _, item := range list {
			if err := fs.Set(key, strings.TrimSpace(fmt.Sprint(item))); err != nil {
				return fmt.Errorf("%s: %s: %w", path, key, err)
			}
		}
	}
	return nil
}
