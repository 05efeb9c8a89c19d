package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"aggregator"
)

// A tag's label is the one its slug was first stored with (tag_labels), so
// that a slug reads the same in every story and on every page although
// articles spell it differently ("António Guterres", "Antonio Guterres").
// The tagger gives labels it knows (rules', the gazetteer's) the same way
// every time; a change of them re-tags the store (Retag), which notes the
// labels afresh.

// labelTags notes the labels of the tags whose slugs have none yet.
func labelTags(ctx context.Context, tx *prepared, tags []aggregator.Tag) error {
	for _, t := range tags {
		if t.Label == "" {
			continue
		}
		if _, err := tx.exec(ctx, `INSERT INTO tag_labels (slug, label) VALUES (?, ?) ON CONFLICT (slug) DO NOTHING`,
			t.Slug, t.Label); err != nil {
			return fmt.Errorf("label tag %s: %w", t.Slug, err)
		}
	}
	return nil
}

// labelsChunk is how many slugs relabel looks up in one statement.
const labelsChunk = 500

// relabel gives every tag of the stories' articles the label its slug has
// in the store.
func (s *Store) relabel(ctx context.Context, stories []aggregator.Story) error {
	labels := map[string]string{}
	var slugs []any
	for _, st := range stories {
		for _, m := range st.Members {
			for _, t := range m.Item.Tags {
				if _, ok := labels[t.Slug]; !ok {
					labels[t.Slug] = t.Label
					slugs = append(slugs, t.Slug)
				}
			}
		}
	}
	for len(slugs) > 0 {
		chunk := slugs[:min(len(slugs), labelsChunk)]
		slugs = slugs[len(chunk):]
		rows, err := s.db.QueryContext(ctx, `SELECT slug, label FROM tag_labels WHERE slug IN (?`+
			strings.Repeat(",?", len(chunk)-1)+`)`, chunk...)
		if err != nil {
			return fmt.Errorf("tag labels: %w", err)
		}
		for rows.Next() {
			var slug, label string
			if err := rows.Scan(&slug, &label); err != nil {
				rows.Close()
				return fmt.Errorf("tag labels: %w", err)
			}
			labels[slug] = label
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("tag labels: %w", err)
		}
	}
	for i := range stories {
		for j := range stories[i].Members {
			tags := stories[i].Members[j].Item.Tags
			for k := range tags {
				tags[k].Label = labels[tags[k].Slug]
			}
		}
	}
	return nil
}

// Retag gives every stored article the tags fn returns for it, in one
// transaction; fn sees the article with its categories and its origin feed.
// Each slug is then labelled as the first article stored with it labels it.
func (s *Store) Retag(ctx context.Context, fn func(it aggregator.Item, origin aggregator.Feed) []aggregator.Tag) (int, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT i.id, i.title, i.summary, i.content, i.author, i.categories, i.link, f.url, f.name, f.title
		FROM items i JOIN feeds f ON f.id = i.feed_id ORDER BY i.id`)
	if err != nil {
		return 0, fmt.Errorf("retag: %w", err)
	}
	type retagged struct {
		id   int64
		tags []aggregator.Tag
		json string
	}
	var out []retagged
	for rows.Next() {
		var (
			id               int64
			it               aggregator.Item
			f                aggregator.Feed
			cats             string
			summary, content sql.RawBytes
		)
		if err := rows.Scan(&id, &it.Title, &summary, &content, &it.Author, &cats, &it.Link, &f.URL, &f.Name, &f.Title); err != nil {
			rows.Close()
			return 0, fmt.Errorf("retag: %w", err)
		}
		if err := decodeBodies(summary, content, &it.Summary, &it.Content); err != nil {
			rows.Close()
			return 0, fmt.Errorf("retag: %w", err)
		}
		if err := json.Unmarshal([]byte(cats), &it.Categories); err != nil {
			rows.Close()
			return 0, fmt.Errorf("retag: %w", err)
		}
		tags := fn(it, f)
		js, err := json.Marshal(nonNil(tags))
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("retag: %w", err)
		}
		out = append(out, retagged{id, tags, string(js)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("retag: %w", err)
	}
	err = s.withTx(ctx, "retag", nil, func(tx *prepared) error {
		// The labels are noted afresh, in the order the articles were stored.
		if _, err := tx.exec(ctx, `DELETE FROM tag_labels`); err != nil {
			return fmt.Errorf("retag: %w", err)
		}
		for _, r := range out {
			if _, err := tx.exec(ctx, `UPDATE items SET tags = ? WHERE id = ?`, r.json, r.id); err != nil {
				return fmt.Errorf("retag: %w", err)
			}
			if err := labelTags(ctx, tx, r.tags); err != nil {
				return fmt.Errorf("retag: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(out), nil
}
