package fakeapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// RunLocally really runs the command on this machine (os/exec, no shell added), so tests read
// real /proc data of real processes. The exit code is the process's; a binary that cannot be
// found gives the runtime's "executable file not found" failure.
func RunLocally(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) (int, error) {
	cmd := exec.CommandContext(ctx, req.Command[0], req.Command[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
		return exitErr.ExitCode(), nil
	case errors.Is(err, exec.ErrNotFound):
		return 0, MissingBinary(req, req.Command[0])
	case ctx.Err() != nil:
		return 0, ctx.Err()
	}
	return 0, err
}

// Canned answers with fixed output chosen by the first argv element (for example "/bin/sh",
// "cat", "capsh"). An argv[0] not in the map fails like a binary missing from the image.
func Canned(outputs map[string]string) ExecFunc {
	return func(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) (int, error) {
		out, ok := outputs[req.Command[0]]
		if !ok {
			return 0, MissingBinary(req, req.Command[0])
		}
		_, err := io.WriteString(stdout, out)
		return 0, err
	}
}

// Delay waits d (the kubelet and runtime's latency) and then runs inner; it gives up early when
// the client goes away.
func Delay(d time.Duration, inner ExecFunc) ExecFunc {
	return func(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) (int, error) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return inner(ctx, req, stdout, stderr)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// Hang never answers: it returns only when the client disconnects or the server closes, like
// a command blocked in the container.
func Hang(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

// Flood writes n bytes of printable junk lines to stdout, as fast as the client reads them,
// stopping early if the client goes away.
func Flood(n int64) ExecFunc {
	return func(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) (int, error) {
		line := []byte(strings.Repeat("x", 1023) + "\n")
		for n > 0 {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			chunk := line
			if int64(len(chunk)) > n {
				chunk = chunk[:n]
			}
			if _, err := stdout.Write(chunk); err != nil {
				return 0, err
			}
			n -= int64(len(chunk))
		}
		return 0, nil
	}
}

// ExitWith writes out to stdout and exits with code: a command that ran and failed.
func ExitWith(code int, out string) ExecFunc {
	return func(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) (int, error) {
		_, err := io.WriteString(stdout, out)
		return code, err
	}
}

// MissingBinary is the error containerd (runc) reports when argv[0] does not exist in the image,
// including the wrapping the CRI plugin adds; the kubelet then sends it as an InternalError, so
// kubectl prints "Internal error occurred: error executing command in container: failed to exec
// in container: failed to start exec "<id>": OCI runtime exec failed: exec failed: unable to
// start container process: exec: "sh": executable file not found in $PATH: unknown".
func MissingBinary(req ExecRequest, binary string) error {
	id := sha256.Sum256([]byte(fmt.Sprint(req.Namespace, req.Pod, req.Container, req.Command)))
	return fmt.Errorf("failed to exec in container: failed to start exec %q: %w", hex.EncodeToString(id[:]), &OCIError{Binary: binary})
}

// OCIError is runc's message for an exec of a missing binary.
type OCIError struct{ Binary string }

func (e *OCIError) Error() string {
	return fmt.Sprintf("OCI runtime exec failed: exec failed: unable to start container process: exec: %q: executable file not found in $PATH: unknown", e.Binary)
}
