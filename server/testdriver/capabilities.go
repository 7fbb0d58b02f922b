package testdriver

import (
	"fmt"
	"strings"
)

// capabilities returns the capabilities XML of the test driver
// (testBuildCapabilities formatted by virCapabilitiesFormatXML): an i686
// host with page sizes 4, 8, 2048 and 1048576 KiB, hvm and xen guests, and
// for test:///default two NUMA cells of 8 CPUs; a node file has none.
func capabilities(numa bool) string {
	var b strings.Builder
	b.WriteString("<capabilities>\n\n  <host>\n    <cpu>\n      <arch>i686</arch>\n      <features>\n        <pae/>\n        <nonpae/>\n      </features>\n")
	pages := []int{4, 8, 2048, 1048576}
	for _, p := range pages {
		fmt.Fprintf(&b, "      <pages unit='KiB' size='%d'/>\n", p)
	}
	b.WriteString("    </cpu>\n    <power_management/>\n    <iommu support='no'/>\n    <topology>\n")
	if !numa {
		b.WriteString("      <cells num='0'>\n      </cells>\n")
	} else {
		b.WriteString("      <cells num='2'>\n")
		for cell := range 2 {
			mem := (cell + 1) * 2048 * 1024
			first := pages[0]
			if cell == 1 {
				first = pages[1]
			}
			fmt.Fprintf(&b, "        <cell id='%d'>\n          <memory unit='KiB'>%d</memory>\n", cell, mem)
			fmt.Fprintf(&b, "          <pages unit='KiB' size='%d'>%d</pages>\n", first, mem/first)
			for _, p := range pages[2:] {
				fmt.Fprintf(&b, "          <pages unit='KiB' size='%d'>0</pages>\n", p)
			}
			b.WriteString("          <cpus num='8'>\n")
			for i := range 8 {
				id := cell*8 + i
				fmt.Fprintf(&b, "            <cpu id='%d' socket_id='%d' die_id='0' core_id='%d' siblings='%d'/>\n", id, cell, i, id)
			}
			b.WriteString("          </cpus>\n        </cell>\n")
		}
		b.WriteString("      </cells>\n")
	}
	b.WriteString("    </topology>\n    <secmodel>\n      <model>testSecurity</model>\n      <doi></doi>\n    </secmodel>\n  </host>\n\n")
	for _, os := range []string{"hvm", "xen"} {
		fmt.Fprintf(&b, "  <guest>\n    <os_type>%s</os_type>\n    <arch name='i686'>\n      <wordsize>32</wordsize>\n"+
			"      <emulator>/usr/bin/test-hv</emulator>\n      <domain type='test'/>\n    </arch>\n"+
			"    <features>\n      <pae/>\n      <nonpae/>\n    </features>\n  </guest>\n\n", os)
	}
	b.WriteString("</capabilities>\n")
	return b.String()
}

// sysinfo is the test driver's fixed CONNECT_GET_SYSINFO answer.
const sysinfo = "<sysinfo type='smbios'>\n  <bios>\n" +
	"    <entry name='vendor'>LENOVO</entry>\n" +
	"    <entry name='version'>G4ETA1WW (2.61 )</entry>\n" +
	"    <entry name='date'>05/07/2014</entry>\n" +
	"    <entry name='release'>2.61</entry>\n" +
	"  </bios>\n</sysinfo>\n"
