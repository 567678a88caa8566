package scan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// Problems are the lines a user must see about the readings, for stderr: one per container that
// could not be read, one per shared cause (a missing permission, an agent that did not start)
// with the number of containers it cost, a warning per reading cut short by a bound, and a
// count of the containers an interrupt left unread. failed counts the containers not read.
func (s *Scan) Problems() (lines []string, failed int) {
	cancelled := 0
	shared := map[string]int{}
	var order []string
	for _, r := range s.Results {
		if r.Err == nil {
			if r.Reading != nil && r.Reading.Truncated {
				lines = append(lines, fmt.Sprintf("warning: %s/%s container %s: incomplete reading: %s", r.Namespace, r.Pod, r.Container, ErrorLine(errors.New(truncation(r.Reading.Problems)))))
			}
			continue
		}
		failed++
		var se *SharedError
		switch {
		case errors.Is(r.Err, context.Canceled):
			cancelled++
		case errors.As(r.Err, &se):
			if shared[se.Message] == 0 {
				order = append(order, se.Message)
			}
			shared[se.Message]++
		default:
			lines = append(lines, fmt.Sprintf("error: %s/%s container %s: %s", r.Namespace, r.Pod, r.Container, ErrorLine(r.Err)))
		}
	}
	sort.Strings(order)
	for _, msg := range order {
		lines = append(lines, fmt.Sprintf("error: %s (%d containers not read)", termsafe.Clean(msg), shared[msg]))
	}
	if cancelled > 0 {
		lines = append(lines, fmt.Sprintf("%d containers not read: interrupted", cancelled))
	}
	return lines, failed
}

// truncation names the bound a reading hit, from its problems.
func truncation(problems []string) string {
	why := "the output ended before the probe's end marker"
	for _, p := range problems {
		if strings.HasPrefix(p, "output exceeded") || strings.HasPrefix(p, "more than") || strings.HasPrefix(p, "skipped a") {
			why = p
		}
	}
	return why
}

// ErrorLine is an error as one sanitized line for stderr.
func ErrorLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return termsafe.Clip(termsafe.Clean(s), 600)
}
