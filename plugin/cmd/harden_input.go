package cmd

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-caps/kubectl-caps/plugin/workload"
)

// maxInputBytes bounds one input: manifests are text written by people and tools, and a stream
// that never ends (or a device file) must not eat the machine.
const maxInputBytes = 64 << 20

// manifestExtensions are the files taken from a directory, as kubectl takes them.
var manifestExtensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

type input struct {
	name string // the path as given, "-" for stdin, or "deployment.apps/web" for a live object
	path string // where to write back (--in-place)
	data []byte
	mode fs.FileMode
	live bool
	// kustomization is set for a kustomization directory: data is its rendering, and nothing
	// can be written back.
	kustomization string
}

// readInputs reads every -f (or the live objects). A file that cannot be read is reported and
// skipped; failed says so.
func (o *HardenOptions) readInputs(ctx context.Context) (inputs []input, failed bool) {
	if len(o.args) > 0 {
		return o.readLive()
	}
	for _, f := range o.Filenames {
		if f == "-" {
			data, err := readBounded(o.In, "standard input")
			if err != nil {
				fmt.Fprintf(o.ErrOut, "error: %v\n", err)
				failed = true
				continue
			}
			inputs = append(inputs, input{name: "-", data: data})
			continue
		}
		paths, err := o.expand(f)
		if err != nil {
			fmt.Fprintf(o.ErrOut, "error: %v\n", err)
			failed = true
		}
		for _, p := range paths {
			if isKustomization(p) {
				data, err := renderKustomization(ctx, p)
				if err != nil {
					fmt.Fprintf(o.ErrOut, "error: %v\n", err)
					failed = true
					continue
				}
				inputs = append(inputs, input{name: p + " (kubectl kustomize)", data: data, kustomization: p})
				continue
			}
			in, err := readFile(p)
			if err != nil {
				fmt.Fprintf(o.ErrOut, "error: %v\n", err)
				failed = true
				continue
			}
			inputs = append(inputs, in)
		}
	}
	return inputs, failed
}

// expand turns one -f into files: the file itself (whatever its name), or a directory's
// .yaml/.yml/.json files (its subdirectories too with -R), sorted. A kustomization directory
// (the one given, or one met with -R) stands for itself, whole: it is rendered, not read file by
// file.
func (o *HardenOptions) expand(f string) ([]string, error) {
	st, err := os.Stat(f)
	if err != nil {
		return nil, fmt.Errorf("-f %s: %v", f, err)
	}
	if !st.IsDir() {
		return []string{f}, nil
	}
	var out []string
	err = filepath.WalkDir(f, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != f && !o.Recursive {
				return filepath.SkipDir
			}
			if isKustomization(p) {
				out = append(out, p)
				return filepath.SkipDir
			}
			return nil
		}
		if manifestExtensions[strings.ToLower(filepath.Ext(p))] {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("-f %s: %v", f, err)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("-f %s: no .yaml, .yml or .json files (use -R for subdirectories)", f)
	}
	return out, nil
}

func readFile(p string) (input, error) {
	fh, err := os.Open(p)
	if err != nil {
		return input{}, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return input{}, err
	}
	if !st.Mode().IsRegular() {
		return input{}, fmt.Errorf("%s: not a regular file", p)
	}
	data, err := readBounded(fh, p)
	if err != nil {
		return input{}, err
	}
	return input{name: p, path: p, data: data, mode: st.Mode().Perm()}, nil
}

func readBounded(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(data) > maxInputBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB; split it", name, maxInputBytes>>20)
	}
	return data, nil
}

// readLive fetches the named objects and turns each into a clean manifest. Nothing is written
// to the cluster.
func (o *HardenOptions) readLive() (inputs []input, failed bool) {
	r := o.f.NewBuilder().
		Unstructured().
		NamespaceParam(o.namespace).DefaultNamespace().
		ResourceTypeOrNameArgs(true, o.args...).
		ContinueOnError().
		Latest().
		Flatten().
		Do()
	infos, err := r.Infos()
	if err != nil {
		fmt.Fprintf(o.ErrOut, "error: %v\n", err)
		failed = true
	}
	for _, info := range infos {
		u, ok := info.Object.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		data, err := workload.Encode(workload.Clean(u.DeepCopy().Object))
		if err != nil {
			fmt.Fprintf(o.ErrOut, "error: %s: %v\n", info.ObjectName(), err)
			failed = true
			continue
		}
		name := info.ObjectName()
		if info.Mapping != nil {
			name = liveName(info.Mapping.GroupVersionKind.Kind, info.Mapping.GroupVersionKind.Group, info.Namespace, info.Name)
		}
		inputs = append(inputs, input{name: name, data: data, live: true})
	}
	return inputs, failed
}

// liveName names a live object the way kubectl prints it: shop/deployment.apps/web.
func liveName(kind, group, namespace, name string) string {
	n := strings.ToLower(kind)
	if group != "" {
		n += "." + group
	}
	n += "/" + name
	if namespace != "" {
		n = namespace + "/" + n
	}
	return n
}
