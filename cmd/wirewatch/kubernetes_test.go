package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// manifestObject is the part of a Kubernetes object this test reads.
type manifestObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	StringData map[string]string `yaml:"stringData"`
	Data       map[string]string `yaml:"data"`
	Spec       struct {
		Ports []struct {
			Name     string `yaml:"name"`
			Port     int    `yaml:"port"`
			Protocol string `yaml:"protocol"`
		} `yaml:"ports"`
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	EnableServiceLinks *bool `yaml:"enableServiceLinks"`
	Containers         []struct {
		Name string   `yaml:"name"`
		Args []string `yaml:"args"`
		Env  []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				SecretKeyRef *struct{ Name, Key string } `yaml:"secretKeyRef"`
				FieldRef     *struct {
					FieldPath string `yaml:"fieldPath"`
				} `yaml:"fieldRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	} `yaml:"containers"`
	Volumes []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
}

// kubernetesManifest reads the YAML block of docs/operations.md's
// Kubernetes section.
func kubernetesManifest(t *testing.T) []manifestObject {
	t.Helper()
	section := docAfter(t, "docs/operations.md", "\n## Kubernetes\n", "Kubernetes section")
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("the Kubernetes section has no yaml block")
	}
	block, _, _ = strings.Cut(block, "```")
	dec := yaml.NewDecoder(strings.NewReader(block))
	var objs []manifestObject
	for {
		var o manifestObject
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("manifest: %v", err)
		}
		objs = append(objs, o)
	}
	return objs
}

// serviceLinks returns the variables the kubelet injects for a Service
// when service links are on (its docs, "Discovering services").
func serviceLinks(svc manifestObject, clusterIP string) []string {
	prefix := strings.ToUpper(strings.ReplaceAll(svc.Metadata.Name, "-", "_")) + "_"
	var env []string
	for i, p := range svc.Spec.Ports {
		proto := strings.ToLower(p.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		addr := fmt.Sprintf("%s://%s:%d", proto, clusterIP, p.Port)
		if i == 0 {
			env = append(env,
				prefix+"SERVICE_HOST="+clusterIP,
				fmt.Sprintf("%sSERVICE_PORT=%d", prefix, p.Port),
				prefix+"PORT="+addr)
		}
		if p.Name != "" {
			env = append(env, fmt.Sprintf("%sSERVICE_PORT_%s=%d", prefix, strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_")), p.Port))
		}
		pp := fmt.Sprintf("%sPORT_%d_%s", prefix, p.Port, strings.ToUpper(proto))
		env = append(env, pp+"="+addr, pp+"_PROTO="+proto, fmt.Sprintf("%s_PORT=%d", pp, p.Port), pp+"_ADDR="+clusterIP)
	}
	return env
}

// TestKubernetesManifest runs the environment that the manifest in
// docs/operations.md gives its containers, plus the service links
// Kubernetes adds when enableServiceLinks is left on, through the
// configuration and `wirewatch migrate`.
func TestKubernetesManifest(t *testing.T) {
	objs := kubernetesManifest(t)
	byKind := map[string][]manifestObject{}
	for _, o := range objs {
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	if len(byKind["Deployment"]) != 1 || len(byKind["Job"]) != 1 || len(byKind["Service"]) == 0 || len(byKind["Secret"]) != 1 {
		t.Fatalf("manifest: want a Deployment, a Job, a Secret and a Service, got %v", byKind)
	}
	var links []string
	for i, svc := range byKind["Service"] {
		links = append(links, serviceLinks(svc, fmt.Sprintf("10.96.0.%d", 12+i))...)
	}
	if len(links) < 8 {
		t.Fatalf("service links: %v", links)
	}
	db := storetest.NewEmpty(t)
	secret := byKind["Secret"][0].StringData
	secret["database-url"] = db.URL // postgres.db.svc is not reachable from here
	configMaps := map[string]map[string]string{}
	for _, cm := range byKind["ConfigMap"] {
		configMaps[cm.Metadata.Name] = cm.Data
	}

	for i, obj := range []manifestObject{byKind["Deployment"][0], byKind["Job"][0]} {
		pod := obj.Spec.Template.Spec
		if pod.EnableServiceLinks == nil || *pod.EnableServiceLinks {
			t.Errorf("%s %s: want enableServiceLinks: false", obj.Kind, obj.Metadata.Name)
		}
		c := pod.Containers[0]
		// ConfigMap volumes become files under a temporary directory.
		mounts := map[string]string{}
		for _, m := range c.VolumeMounts {
			for _, v := range pod.Volumes {
				if v.Name != m.Name || v.ConfigMap == nil {
					continue
				}
				dir := t.TempDir()
				for name, content := range configMaps[v.ConfigMap.Name] {
					if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				mounts[m.MountPath] = dir
			}
		}
		var environ []string
		for _, ev := range c.Env {
			val := ev.Value
			switch {
			case ev.ValueFrom != nil && ev.ValueFrom.SecretKeyRef != nil:
				val = secret[ev.ValueFrom.SecretKeyRef.Key]
			case ev.ValueFrom != nil && ev.ValueFrom.FieldRef != nil:
				val = "wirewatch-5d8c7f9b6-x2k4q" // metadata.name
			}
			for mount, dir := range mounts {
				if rest, ok := strings.CutPrefix(val, mount+"/"); ok {
					val = filepath.Join(dir, rest)
				}
			}
			environ = append(environ, ev.Name+"="+val)
		}
		environ = append(environ, links...)

		if _, err := config.Load("", environ); err != nil {
			t.Fatalf("%s: config.Load: %v", obj.Kind, err)
		}
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"migrate", "--log-level", "debug"}, strings.NewReader(""), &out, &errb, environ)
		if code != 0 {
			t.Fatalf("%s: migrate exit %d\nstdout %s\nstderr %s", obj.Kind, code, out.String(), errb.String())
		}
		want := "applied 0 migration(s)"
		if i == 0 {
			want = "applied " // the first run migrates the empty database
		}
		if !strings.HasPrefix(out.String(), want) || (i == 0 && strings.HasPrefix(out.String(), "applied 0 ")) {
			t.Errorf("%s: migrate printed %q", obj.Kind, out.String())
		}
		if n := strings.Count(errb.String(), "service-link variables"); n != 1 {
			t.Errorf("%s: want one debug line about service links, got %d:\n%s", obj.Kind, n, errb.String())
		}

		// A misspelt setting is still refused, with the configuration's exit status.
		errb.Reset()
		code = run(context.Background(), []string{"migrate"}, strings.NewReader(""), &out, &errb, append(environ, "WIREWATCH_DAEMON_PORT=9090"))
		if code != exitConfig || !strings.Contains(errb.String(), "WIREWATCH_DAEMON_PORT") {
			t.Errorf("%s: a typo: exit %d, stderr %q", obj.Kind, code, errb.String())
		}
	}
}
