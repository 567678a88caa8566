//go:build !linux

package capstrace

// CgroupID returns ErrNeedsLinux.
func CgroupID(string) (uint64, error) { return 0, ErrNeedsLinux }

// CgroupV1 returns ErrNeedsLinux.
func CgroupV1() (bool, error) { return false, ErrNeedsLinux }

// CgroupV1At returns ErrNeedsLinux.
func CgroupV1At(string) (bool, error) { return false, ErrNeedsLinux }

// CgroupDir is only meaningful on Linux; elsewhere it returns "".
func CgroupDir(root string, v1 bool, path string) string { return "" }
