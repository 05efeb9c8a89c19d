package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// An article's summary and content, its bodies, are most of the store: HTML
// of several kilobytes an article. The store keeps them compressed with
// zstd, in the summary and content columns of items (BLOBs on SQLite,
// whose columns keep their declared type TEXT; BYTEA on PostgreSQL). A
// stored body is one of:
//
//	(no bytes)         the empty string
//	0x00, text         the text as it is: a short text, or one that zstd
//	                   does not make smaller
//	0x01, zstd frame   the text compressed, in one zstd frame without a
//	                   checksum (the databases check their pages)
//
// Any other first byte is an error: a body written by a later program.
const (
	bodyPlain byte = 0x00
	bodyZstd  byte = 0x01
)

// bodyMinZstd is the shortest text worth compressing: a frame's header and
// block header cost about ten bytes, and short texts shrink little.
const bodyMinZstd = 96

// bodyCodec is the encoder and decoder every store shares: EncodeAll and
// DecodeAll are safe for concurrent use. SpeedFastest compressed the feed
// farm's articles to 47% and real ones (bench fixtures) to 77%, against
// 46% and 72% at SpeedDefault, at about 1.5 times the speed (BENCHMARKS.md,
// "Store size").
var bodyCodec = sync.OnceValues(func() (*zstd.Encoder, *zstd.Decoder) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false))
	if err != nil {
		panic(err) // only for invalid options
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
	if err != nil {
		panic(err)
	}
	return enc, dec
})

// encodeBody is a body as the store writes it.
func encodeBody(s string) []byte {
	if s == "" {
		return []byte{}
	}
	if len(s) >= bodyMinZstd {
		enc, _ := bodyCodec()
		out := make([]byte, 1, len(s)/2)
		out[0] = bodyZstd
		out = enc.EncodeAll([]byte(s), out)
		if len(out) < 1+len(s) {
			return out
		}
	}
	out := make([]byte, 1+len(s))
	out[0] = bodyPlain
	copy(out[1:], s)
	return out
}

// errBody is a stored body this program cannot read.
var errBody = errors.New("unknown encoding of a stored body")

// decodeBody is the text of a body as the store holds it.
func decodeBody(b []byte) (string, error) {
	if len(b) == 0 {
		return "", nil
	}
	switch b[0] {
	case bodyPlain:
		return string(b[1:]), nil
	case bodyZstd:
		_, dec := bodyCodec()
		out, err := dec.DecodeAll(b[1:], nil)
		if err != nil {
			return "", fmt.Errorf("decompress a stored body: %w", err)
		}
		return string(out), nil
	}
	return "", fmt.Errorf("%w (first byte %#x); upgrade aggregator", errBody, b[0])
}

// decodeBodies decodes an item's summary and content into the strings
// given.
func decodeBodies(summary, content []byte, toSummary, toContent *string) error {
	var err error
	if *toSummary, err = decodeBody(summary); err != nil {
		return err
	}
	*toContent, err = decodeBody(content)
	return err
}

// bodyBatch is how many items compressBodies rewrites at a time.
const bodyBatch = 256

// compressBodies is the Go step of the migration that compresses article
// bodies: it rewrites every item's summary and content, stored until then
// as text, as encodeBody writes them, a batch of items at a time, in the
// migration's transaction, so that a migration cut short leaves the store
// as it was.
func compressBodies(ctx context.Context, tx *prepared) error {
	type body struct {
		id               int64
		summary, content []byte
	}
	for last := int64(-1 << 63); ; {
		rows, err := tx.query(ctx, `SELECT id, summary, content FROM items WHERE id > ? ORDER BY id LIMIT ?`, last, bodyBatch)
		if err != nil {
			return err
		}
		var batch []body
		for rows.Next() {
			var (
				b                body
				summary, content []byte
			)
			if err := rows.Scan(&b.id, &summary, &content); err != nil {
				rows.Close()
				return err
			}
			b.summary, b.content = encodeBody(string(summary)), encodeBody(string(content))
			batch = append(batch, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, b := range batch {
			if _, err := tx.exec(ctx, `UPDATE items SET summary = ?, content = ? WHERE id = ?`, b.summary, b.content, b.id); err != nil {
				return err
			}
		}
		last = batch[len(batch)-1].id
	}
}
