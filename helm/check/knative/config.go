package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	eventingconfig "knative.dev/eventing/pkg/apis/config"
	"knative.dev/eventing/pkg/apis/feature"
	channelconfig "knative.dev/eventing/pkg/apis/messaging/config"
	pingconfig "knative.dev/eventing/pkg/apis/sources/config"
	"knative.dev/pkg/configmap"
	servingconfig "knative.dev/serving/pkg/apis/config"
	asconfig "knative.dev/serving/pkg/autoscaler/config"
)

// The ConfigMaps are read from each module's own config/core/configmaps (the files Knative
// installs), located by the caller with `go list -m -f {{.Dir}}`: no copies to drift from the
// module version whose code runs here, and a version bump in go.mod brings its own defaults.
func readConfigMaps(moduleDir string) (map[string]*corev1.ConfigMap, error) {
	files, err := filepath.Glob(filepath.Join(moduleDir, "config/core/configmaps/*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no ConfigMaps under %s/config/core/configmaps", moduleDir)
	}
	cms := map[string]*corev1.ConfigMap{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		cm := &corev1.ConfigMap{}
		if err := yaml.Unmarshal(raw, cm); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		cms[cm.Name] = cm
	}
	return cms, nil
}

// watcherOf hands the named ConfigMaps to a store as the webhook's informer would.
func watcherOf(cms map[string]*corev1.ConfigMap, names ...string) (*configmap.StaticWatcher, error) {
	picked := make([]*corev1.ConfigMap, 0, len(names))
	for _, n := range names {
		cm, ok := cms[n]
		if !ok {
			return nil, fmt.Errorf("ConfigMap %s not found in the module", n)
		}
		picked = append(picked, cm)
	}
	return configmap.NewStaticWatcher(picked...), nil
}

// servingContext is what serving's webhook attaches (cmd/webhook: apisconfig.NewStore ->
// config-defaults, config-features, config-autoscaler).
func servingContext(ctx context.Context, dir string, logger *zap.SugaredLogger) (context.Context, error) {
	cms, err := readConfigMaps(dir)
	if err != nil {
		return nil, err
	}
	w, err := watcherOf(cms, servingconfig.DefaultsConfigName, servingconfig.FeaturesConfigName, asconfig.ConfigName)
	if err != nil {
		return nil, err
	}
	store := servingconfig.NewStore(logger)
	store.WatchConfigs(w)
	return store.ToContext(ctx), nil
}

// eventingContext is what eventing's validating webhook attaches (cmd/webhook: the broker
// defaults, channel defaults, PingSource defaults and feature flags).
func eventingContext(ctx context.Context, dir string, logger *zap.SugaredLogger) (context.Context, error) {
	cms, err := readConfigMaps(dir)
	if err != nil {
		return nil, err
	}
	w, err := watcherOf(cms, eventingconfig.DefaultsConfigName, channelconfig.ChannelDefaultsConfigName, pingconfig.PingDefaultsConfigName, feature.FlagsConfigName)
	if err != nil {
		return nil, err
	}
	store := eventingconfig.NewStore(logger)
	store.WatchConfigs(w)
	channels := channelconfig.NewStore(logger)
	channels.WatchConfigs(w)
	pings := pingconfig.NewStore(logger)
	pings.WatchConfigs(w)
	features := feature.NewStore(logger)
	features.WatchConfigs(w)
	return features.ToContext(channels.ToContext(pings.ToContext(store.ToContext(ctx)))), nil
}
