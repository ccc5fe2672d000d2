package gateway

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// Transport compressions accepted in the compress query parameter, and the payload compression
// an IDENTIFY with compress:true selects on a connection without transport compression.
const (
	CompressionNone        = "none"
	CompressionZlibStream  = "zlib-stream"
	CompressionZstdStream  = "zstd-stream"
	CompressionZlibPayload = "zlib-payload"
)

// streamEncoder compresses the payloads of one connection into one continuous stream, flushing
// after each payload so that every websocket message can be decoded as soon as it arrives.
type streamEncoder interface {
	encode(p []byte) ([]byte, error)
	close()
}

func newStreamEncoder(compression string) (streamEncoder, error) {
	switch compression {
	case CompressionZlibStream:
		z := &zlibStream{}
		z.w = zlib.NewWriter(&z.buf)
		return z, nil
	case CompressionZstdStream:
		z := &zstdStream{}
		w, err := zstd.NewWriter(&z.buf, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
		if err != nil {
			return nil, fmt.Errorf("gateway: zstd encoder: %w", err)
		}
		z.w = w
		return z, nil
	}
	return nil, nil
}

// zlibStream is zlib-stream: one zlib context per connection, each payload ends with a
// Z_SYNC_FLUSH, so each message ends in 00 00 ff ff.
type zlibStream struct {
	buf bytes.Buffer
	w   *zlib.Writer
}

func (z *zlibStream) encode(p []byte) ([]byte, error) {
	z.buf.Reset()
	if _, err := z.w.Write(p); err != nil {
		return nil, err
	}
	if err := z.w.Flush(); err != nil {
		return nil, err
	}
	return z.buf.Bytes(), nil
}

func (z *zlibStream) close() { _ = z.w.Close() }

// zstdStream is zstd-stream: one zstd frame for the whole connection, each payload flushed as
// its own block(s), so each message decodes alone with the connection's decoder.
type zstdStream struct {
	buf bytes.Buffer
	w   *zstd.Encoder
}

func (z *zstdStream) encode(p []byte) ([]byte, error) {
	z.buf.Reset()
	if _, err := z.w.Write(p); err != nil {
		return nil, err
	}
	if err := z.w.Flush(); err != nil {
		return nil, err
	}
	return z.buf.Bytes(), nil
}

func (z *zstdStream) close() { _ = z.w.Close() }

// zlibPayload compresses one payload as a complete zlib stream (payload compression).
func zlibPayload(p []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	if _, err := w.Write(p); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
