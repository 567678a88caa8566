package cmd

import (
	"context"
	"io"
)

type (
	contextT = context.Context
	writerT  = io.Writer
)
