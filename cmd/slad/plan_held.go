package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/slad-project/slad/api/wire"
)

// printHeld lists, for each SLA whose holder figures the edit changes,
// where its window's time went before → after: the requests measured and
// breached, then per holder the requests it held, its median time held
// and its share of the breached requests' time (as slad report --by
// holder shows them). Nothing when no SLA's change.
func printHeld(w io.Writer, slas []wire.PlanStanding) {
	var changed []wire.PlanStanding
	for _, s := range slas {
		if s.HeldBefore != nil || s.HeldAfter != nil {
			changed = append(changed, s)
		}
	}
	if len(changed) == 0 {
		return
	}
	fmt.Fprintln(w, "\nWhere the time went over each SLA's window (before → after)")
	tw := newTable(w)
	fmt.Fprintln(tw, "  SLA\tHELD BY\tREQUESTS\tBREACHED\tMEDIAN HELD\tSHARE OF BREACHED TIME")
	for _, s := range changed {
		b, a := s.HeldBefore, s.HeldAfter
		fmt.Fprintf(tw, "  %s\t(all)\t%s\t%s\t%s\t\n", oneLine(s.SLA),
			pair(b, a, func(h *wire.Held) string { return fmt.Sprint(h.Requests) }),
			pair(b, a, func(h *wire.Held) string { return fmt.Sprint(h.Breached) }),
			pair(b, a, func(h *wire.Held) string { return elapsedCell(h.MedianSeconds) }))
		for _, k := range holderKeys(b, a) {
			hb, ha := holderIn(b, k), holderIn(a, k)
			fmt.Fprintf(tw, "  \t%s\t%s\t\t%s\t%s\n", holderName(k),
				pair(hb, ha, func(h *wire.Holder) string { return fmt.Sprint(h.Requests) }),
				pair(hb, ha, func(h *wire.Holder) string { return elapsedCell(h.MedianHeldSeconds) }),
				pair(hb, ha, func(h *wire.Holder) string {
					if h.BreachedShare == nil {
						return "-"
					}
					return percentDown(*h.BreachedShare)
				}))
		}
	}
	tw.flush()
}

// pair writes a figure before → after, once when it does not change;
// "(none)" for a side that has none.
func pair[T any](before, after *T, f func(*T) string) string {
	b, a := "(none)", "(none)"
	if before != nil {
		b = f(before)
	}
	if after != nil {
		a = f(after)
	}
	if b == a {
		return a
	}
	return b + " → " + a
}

// holderKeys lists the holders of either side: after's order (the most
// time held first), then those only before had.
func holderKeys(before, after *wire.Held) []wire.Holder {
	var out []wire.Holder
	for _, h := range []*wire.Held{after, before} {
		if h == nil {
			continue
		}
		for _, x := range h.Holders {
			k := wire.Holder{Department: x.Department, Waiting: x.Waiting}
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// holderIn finds a holder's figures in h, or nil.
func holderIn(h *wire.Held, k wire.Holder) *wire.Holder {
	if h == nil {
		return nil
	}
	i := slices.IndexFunc(h.Holders, func(x wire.Holder) bool { return x.Department == k.Department && x.Waiting == k.Waiting })
	if i < 0 {
		return nil
	}
	return &h.Holders[i]
}
