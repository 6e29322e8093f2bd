package models

import "sort"

// SuppressTable decides which cells of the table of two breakdowns are hidden: rows are the
// groups of one breakdown and columns those of the other, each as Suppress leaves them
// unfiltered; cell [i][j] counts the respondents in row i and column j. A filtered view shows
// such a cell as a group: the breakdown by the rows filtered on a column shows that column's
// cells, the breakdown by the columns filtered on a row that row's. Both read this one
// decision, so two views can never disagree about a cell.
//
// What a researcher knows of the table, over every view together: the total, every row and
// column shown unfiltered, and every cell shown. A cell is hidden when its row or column is,
// and when it has respondents but fewer than minSize. Then, as long as some hidden cell, or
// some set of hidden cells with fewer than minSize respondents together, follows from what is
// known by adding and subtracting, one more cell is hidden: the smallest shown cell in a line
// of the cells that follow. An empty cell says "geen respondenten" and gives nothing away;
// a cell that holds its whole (shown) row or column is shown with it.
//
// The test: what is known fixes a set of hidden cells exactly when its indicator y can be
// written y(cell) = p(row) − p(column) for some numbers p on the lines of the table, where
// every hidden row counts as one line (their sum is the total minus the rows shown) and every
// hidden column as another, fixed at 0. That holds exactly when y sums to zero, with signs,
// around every cycle of hidden cells; the fundamental cycles of a spanning forest suffice.
// The reasons returned are "" for a cell shown, else HiddenEmpty, HiddenTooSmall or
// HiddenComplement.
func SuppressTable(rows, cols []Group, n [][]int64, minSize int) [][]string {
	reason := make([][]string, len(rows))
	for i := range rows {
		reason[i] = make([]string, len(cols))
		for j := range cols {
			switch {
			case n[i][j] == 0:
				reason[i][j] = HiddenEmpty
			case n[i][j] < int64(minSize):
				reason[i][j] = HiddenTooSmall
			case rows[i].Hidden || cols[j].Hidden:
				reason[i][j] = HiddenComplement
			}
		}
	}
	whole := func(i, j int) bool { // the cell is its whole shown row or column
		return !rows[i].Hidden && n[i][j] == rows[i].N || !cols[j].Hidden && n[i][j] == cols[j].N
	}
	for {
		bad := tableLeak(rows, cols, n, reason, minSize, whole)
		if bad == nil {
			return reason
		}
		// Hide the smallest shown cell in a shown line through the cells that follow; if there
		// is none, the smallest shown cell anywhere; if there is none either, stop.
		best := [2]int{-1, -1}
		consider := func(i, j int) {
			if reason[i][j] != "" || whole(i, j) {
				return
			}
			if best[0] < 0 || n[i][j] < n[best[0]][best[1]] {
				best = [2]int{i, j}
			}
		}
		for _, c := range bad {
			for j := range cols {
				if !rows[c[0]].Hidden {
					consider(c[0], j)
				}
			}
			for i := range rows {
				if !cols[c[1]].Hidden {
					consider(i, c[1])
				}
			}
		}
		if best[0] < 0 {
			for i := range rows {
				for j := range cols {
					consider(i, j)
				}
			}
		}
		if best[0] < 0 {
			return reason
		}
		reason[best[0]][best[1]] = HiddenComplement
	}
}

// tableLeak returns the cells of one set of hidden cells that follows from what is shown
// (SuppressTable), or nil.
func tableLeak(rows, cols []Group, n [][]int64, reason [][]string, minSize int, whole func(i, j int) bool) [][2]int {
	// Nodes: each shown row, each shown column, one for the hidden rows, one for the hidden
	// columns. Edges: the hidden cells with respondents, oriented row → column.
	hiddenRows, hiddenCols := len(rows)+len(cols), len(rows)+len(cols)+1
	node := func(i, j int) (int, int) {
		r, c := i, len(rows)+j
		if rows[i].Hidden {
			r = hiddenRows
		}
		if cols[j].Hidden {
			c = hiddenCols
		}
		return r, c
	}
	type edge struct{ i, j, from, to int }
	var edges []edge
	for i := range rows {
		for j := range cols {
			if reason[i][j] != "" && n[i][j] > 0 {
				r, c := node(i, j)
				edges = append(edges, edge{i, j, r, c})
			}
		}
	}
	if len(edges) == 0 {
		return nil
	}
	// A spanning forest: parent edge and depth per node.
	nodes := len(rows) + len(cols) + 2
	adj := make([][]int, nodes)
	for k, e := range edges {
		adj[e.from] = append(adj[e.from], k)
		adj[e.to] = append(adj[e.to], k)
	}
	parent, depth := make([]int, nodes), make([]int, nodes)
	seen, tree := make([]bool, nodes), make([]bool, len(edges))
	for root := range nodes {
		if seen[root] {
			continue
		}
		seen[root], parent[root] = true, -1
		queue := []int{root}
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			for _, k := range adj[u] {
				v := edges[k].from + edges[k].to - u
				if !seen[v] {
					seen[v], parent[v], depth[v], tree[k] = true, k, depth[u]+1, true
					queue = append(queue, v)
				}
			}
		}
	}
	// w[k]: edge k's signed part in each fundamental cycle; cycles go along the non-tree edge
	// row → column, then back through the tree.
	w := make([][]int8, len(edges))
	for k := range w {
		w[k] = make([]int8, 0)
	}
	cycle := 0
	for k, e := range edges {
		if tree[k] {
			continue
		}
		for m := range w {
			w[m] = append(w[m], 0)
		}
		w[k][cycle] = 1
		// From the column back to the row: climb from both ends to their common ancestor.
		a, b := e.to, e.from // walk a → … → b
		for a != b {
			if depth[a] >= depth[b] {
				pk := parent[a]
				pe := edges[pk]
				up := pe.from + pe.to - a
				if pe.from == a { // row → column, as the edge is oriented
					w[pk][cycle]++
				} else {
					w[pk][cycle]--
				}
				a = up
			} else {
				pk := parent[b]
				pe := edges[pk]
				up := pe.from + pe.to - b
				// walked in the other direction: from up down to b
				if pe.from == up {
					w[pk][cycle]++
				} else {
					w[pk][cycle]--
				}
				b = up
			}
		}
		cycle++
	}
	zero := func(v []int8) bool {
		for _, x := range v {
			if x != 0 {
				return false
			}
		}
		return true
	}
	// One hidden cell that follows: an edge on no cycle (unless it is its whole shown line).
	for k, e := range edges {
		if zero(w[k]) && !whole(e.i, e.j) {
			return [][2]int{{e.i, e.j}}
		}
	}
	// A set of hidden cells with fewer than minSize respondents: their parts must cancel in
	// every cycle. A hash of each edge's part screens the sets; a match is checked exactly.
	var small []int
	for k, e := range edges {
		if n[e.i][e.j] < int64(minSize) {
			small = append(small, k)
		}
	}
	sort.Slice(small, func(a, b int) bool {
		return n[edges[small[a]].i][edges[small[a]].j] < n[edges[small[b]].i][edges[small[b]].j]
	})
	hash := make([]uint64, len(edges))
	for k := range edges {
		for c, x := range w[k] {
			hash[k] += uint64(int64(x)) * mix(uint64(c))
		}
	}
	var found []int
	var pick func(from int, sum int64, h uint64, chosen []int) bool
	pick = func(from int, sum int64, h uint64, chosen []int) bool {
		if len(chosen) > 1 && h == 0 {
			total := make([]int, cycle)
			for _, k := range chosen {
				for c, x := range w[k] {
					total[c] += int(x)
				}
			}
			exact := true
			for _, x := range total {
				exact = exact && x == 0
			}
			if exact {
				found = append([]int{}, chosen...)
				return true
			}
		}
		for a := from; a < len(small); a++ {
			k := small[a]
			s := sum + n[edges[k].i][edges[k].j]
			if s >= int64(minSize) {
				break // sorted by size: the rest is larger still
			}
			if pick(a+1, s, h+hash[k], append(chosen, k)) {
				return true
			}
		}
		return false
	}
	if pick(0, 0, 0, nil) {
		var out [][2]int
		for _, k := range found {
			out = append(out, [2]int{edges[k].i, edges[k].j})
		}
		return out
	}
	return nil
}

// mix spreads a number over 64 bits (splitmix64).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
