// Command ociimage writes a container image holding one static binary as an OCI image layout in
// a tar archive, the form `ctr images import` (and `docker load`, `skopeo copy oci-archive:`)
// accept. It exists because this project builds its agent image where no Docker daemon or
// registry is available (`make agent-image`); the release builds the published multi-arch image
// with goreleaser instead (.goreleaser.yaml).
//
// The archive is deterministic: the same binaries and reference give the same bytes (no
// timestamps, owners root, fixed compression), so its digest can be compared across builds.
//
//	ociimage -ref ghcr.io/kubectl-caps/kubectl-caps-agent:v0.2.0 -out agent.tar \
//	  -binary linux/amd64=bin/linux_amd64/kubectl-caps [-binary linux/arm64=...]
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
)

type binaries map[string]string // "linux/amd64" → path

func (b binaries) String() string { return fmt.Sprint(map[string]string(b)) }
func (b binaries) Set(v string) error {
	plat, file, ok := strings.Cut(v, "=")
	if !ok || !strings.HasPrefix(plat, "linux/") || file == "" {
		return fmt.Errorf("want linux/ARCH=FILE, got %q", v)
	}
	b[plat] = file
	return nil
}

func main() {
	bins := binaries{}
	ref := flag.String("ref", "", "the image reference to name it (registry/repository:tag)")
	refFrom := flag.String("ref-from", "", "take the reference from this plugin binary's `version -o json` (agentImage): exactly what it runs by default")
	out := flag.String("out", "", "the archive to write")
	name := flag.String("name", "kubectl-caps", "the binary's name in the image (at /)")
	flag.Var(bins, "binary", "linux/ARCH=FILE: the static binary for one platform (repeatable)")
	flag.Parse()
	if *refFrom != "" {
		r, err := agentImageOf(*refFrom)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ociimage:", err)
			os.Exit(1)
		}
		*ref = r
	}
	if *ref == "" || *out == "" || len(bins) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := write(*out, *ref, *name, bins); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		os.Exit(1)
	}
}

// agentImageOf asks a built plugin which agent image it uses.
func agentImageOf(bin string) (string, error) {
	out, err := exec.Command(bin, "version", "-o", "json").Output()
	if err != nil {
		return "", fmt.Errorf("%s version -o json: %w", bin, err)
	}
	var v struct {
		AgentImage string `json:"agentImage"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.AgentImage == "" {
		return "", fmt.Errorf("%s version -o json names no agentImage: %s", bin, out)
	}
	return v.AgentImage, nil
}

// OCI media types and the annotation names importers read the image's name from: containerd
// takes io.containerd.image.name as the full reference; the OCI spec's ref.name is the tag.
const (
	mtIndex    = "application/vnd.oci.image.index.v1+json"
	mtManifest = "application/vnd.oci.image.manifest.v1+json"
	mtConfig   = "application/vnd.oci.image.config.v1+json"
	mtLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
	annName    = "io.containerd.image.name"
	annRef     = "org.opencontainers.image.ref.name"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

// layout collects blobs by digest.
type layout struct{ blobs map[string][]byte }

func (l *layout) add(mediaType string, data []byte) descriptor {
	sum := sha256.Sum256(data)
	d := "sha256:" + hex.EncodeToString(sum[:])
	l.blobs[d] = data
	return descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}
}

func (l *layout) addJSON(mediaType string, v any) (descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return descriptor{}, err
	}
	return l.add(mediaType, b), nil
}

func write(out, ref, name string, bins binaries) error {
	tag := ref[strings.LastIndex(ref, ":")+1:]
	if i := strings.LastIndex(ref, ":"); i < 0 || strings.Contains(tag, "/") || tag == "latest" {
		return errors.New("-ref must end in a version tag (not latest)")
	}
	l := &layout{blobs: map[string][]byte{}}
	plats := make([]string, 0, len(bins))
	for p := range bins {
		plats = append(plats, p)
	}
	sort.Strings(plats)
	var manifests []descriptor
	for _, p := range plats {
		bin, err := os.ReadFile(bins[p])
		if err != nil {
			return err
		}
		arch := strings.TrimPrefix(p, "linux/")
		layerTar, err := tarOne(name, bin)
		if err != nil {
			return err
		}
		diff := sha256.Sum256(layerTar)
		gz, err := gzipped(layerTar)
		if err != nil {
			return err
		}
		layer := l.add(mtLayer, gz)
		cfg, err := l.addJSON(mtConfig, map[string]any{
			"architecture": arch,
			"os":           "linux",
			"config": map[string]any{
				"Entrypoint": []string{"/" + name},
				"WorkingDir": "/",
			},
			"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(diff[:])}},
			"history": []map[string]string{{"created_by": "test/tools/ociimage: /" + name}},
		})
		if err != nil {
			return err
		}
		m, err := l.addJSON(mtManifest, map[string]any{
			"schemaVersion": 2, "mediaType": mtManifest, "config": cfg, "layers": []descriptor{layer},
		})
		if err != nil {
			return err
		}
		m.Platform = &platform{Architecture: arch, OS: "linux"}
		manifests = append(manifests, m)
	}
	idx, err := l.addJSON(mtIndex, map[string]any{"schemaVersion": 2, "mediaType": mtIndex, "manifests": manifests})
	if err != nil {
		return err
	}
	idx.Annotations = map[string]string{annName: ref, annRef: tag}
	top, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mtIndex, "manifests": []descriptor{idx}})
	if err != nil {
		return err
	}

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	files := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", top},
	}
	digests := make([]string, 0, len(l.blobs))
	for d := range l.blobs {
		digests = append(digests, d)
	}
	sort.Strings(digests)
	for _, d := range digests {
		files = append(files, struct {
			name string
			data []byte
		}{path.Join("blobs", "sha256", strings.TrimPrefix(d, "sha256:")), l.blobs[d]})
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, Format: tar.FormatUSTAR}); err != nil {
			return err
		}
	}
	for _, e := range files {
		if err := writeFile(tw, e.name, 0o644, e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// tarOne is the image's only layer: the binary at /NAME, owned by root, mode 0755, no time.
func tarOne(name string, bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := writeFile(tw, name, 0o755, bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeFile(tw *tar.Writer, name string, mode int64, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), Format: tar.FormatUSTAR}); err != nil {
		return err
	}
	_, err := io.Copy(tw, bytes.NewReader(data))
	return err
}

// gzipped compresses without a name or time in the header, so equal input gives equal output.
func gzipped(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
