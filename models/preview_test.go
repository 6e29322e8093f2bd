package models

import (
	"errors"
	"strings"
	"testing"
	"time"

	"peiling/models/dbtest"
)

func TestPreviewsStayWithinTheirBudgetAndLifetime(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	big := strings.Repeat("x", 4<<20)
	const n = MaxPreviewBytes/(4<<20) + 3
	ids := make([]string, n)
	for i := range ids {
		ids[i] = NewToken()
		if err := SavePreview(db.Write, ids[i], big, at.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	var total int64
	var kept int64
	db.Read.Model(&Preview{}).Select("COALESCE(SUM(size), 0)").Scan(&total)
	db.Read.Model(&Preview{}).Count(&kept)
	if total > MaxPreviewBytes || kept != MaxPreviewBytes/(4<<20) {
		t.Errorf("%d previews of %d bytes in all are kept, want %d within %d", kept, total, MaxPreviewBytes/(4<<20), MaxPreviewBytes)
	}
	last := at.Add(time.Duration(n-1) * time.Second)
	if _, err := LoadPreview(db.Read, ids[0], last); !errors.Is(err, ErrNotFound) {
		t.Errorf("the oldest preview: %v, want ErrNotFound", err)
	}
	if data, err := LoadPreview(db.Read, ids[n-1], last); err != nil || data != big {
		t.Errorf("the newest preview: %d bytes, %v", len(data), err)
	}
	if _, err := LoadPreview(db.Read, ids[n-1], last.Add(PreviewLifetime)); !errors.Is(err, ErrNotFound) {
		t.Errorf("a preview after its lifetime: %v, want ErrNotFound", err)
	}
	if pruned, err := PrunePreviews(db.Write, last.Add(PreviewLifetime)); err != nil || pruned != kept {
		t.Errorf("pruned %d (%v), want %d", pruned, err, kept)
	}
}
