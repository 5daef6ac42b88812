package sla

import (
	"reflect"
	"testing"
)

func TestCustomersOf(t *testing.T) {
	p := &Policy{Departments: map[string]*Department{"sales": {ID: "sales"}, "it": {ID: "it"}, "hr": {ID: "hr"}}}
	for name, tc := range map[string]struct {
		customers []string
		want      []string
	}{
		"listed customers keep the configuration's order": {[]string{"sales", "hr"}, []string{"sales", "hr"}},
		"a customer listed twice is served once":          {[]string{"sales", "sales"}, []string{"sales"}},
		"every department stands for * in id order":       {[]string{"*"}, []string{"hr", "it", "sales"}},
		"* among others is still every department":        {[]string{"sales", "*"}, []string{"hr", "it", "sales"}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := p.CustomersOf(&SLA{Customers: tc.customers}); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("CustomersOf(%v) = %v, want %v", tc.customers, got, tc.want)
			}
		})
	}
}
