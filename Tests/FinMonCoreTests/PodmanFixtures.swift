/// Replies captured from podman 4.3.1's Docker-compatible service
/// (`podman system service`, runc, cgroupfs, cgroup v1 host), bodies verbatim.
///
/// Kept as Swift source rather than .json files so the test target needs no
/// resource declaration (and no Foundation `Bundle` to find them).
enum PodmanFixtures {
    /// Response headers podman sends with a JSON body (before the framing header).
    static let jsonHeaders: [(String, String)] = [
        ("Api-Version", "1.41"),
        ("Content-Type", "application/json"),
        ("Libpod-Api-Version", "4.3.1"),
        ("Server", "Libpod/4.3.1 (linux)"),
    ]

    /// podman answers stats with an empty chunked body when the container is not running.
    static let statsExited = ""

    /// `GET /v1.41/containers/json?all=1&filters={"label":["fmdock"]}`: one running, one exited container.
    static let containersList = #"""
[{"Id":"b6b02bd0f87669fe00f8bbc9fba394e687e17229d4648d0e80e31e1e484ab4aa","Names":["/fmdock-running"],"Image":"localhost/fmdock-busybox:latest","ImageID":"sha256:fc66fb2ccce730286f482d34ba4eab47d507471c5a32e5ade3bef49730c4f618","Command":"/bin/sh -c yes \u003e /dev/null \u0026 dd if=/dev/zero of=/tmp/x bs=1M count=20; sleep 3600","Created":1795958040,"Ports":[],"Labels":{"finlab-sandbox":"1","fmdock":"1"},"State":"running","Status":"Up 3 seconds","NetworkSettings":{"Networks":{"podman":{"IPAMConfig":null,"Links":null,"Aliases":["b6b02bd0f876"],"NetworkID":"podman","EndpointID":"","Gateway":"10.88.0.1","IPAddress":"10.88.0.8","IPPrefixLen":16,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"MacAddress":"ba:84:f7:56:66:b3","DriverOpts":null}}},"Mounts":[],"Name":"","Config":null,"NetworkingConfig":null,"Platform":null,"AdjustCPUShares":false},{"Id":"ed56724b8e14bb11cab5388fababff24792d1300aa7c6c383f182ffb9b01f979","Names":["/fmdock-exited"],"Image":"localhost/fmdock-busybox:latest","ImageID":"sha256:fc66fb2ccce730286f482d34ba4eab47d507471c5a32e5ade3bef49730c4f618","Command":"/bin/sh -c exit 3","Created":1795958040,"Ports":[],"Labels":{"finlab-sandbox":"1","fmdock":"1"},"State":"exited","Status":"Exited (3) 3 seconds ago","NetworkSettings":{"Networks":{"podman":{"IPAMConfig":null,"Links":null,"Aliases":["ed56724b8e14"],"NetworkID":"podman","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"MacAddress":"","DriverOpts":null}}},"Mounts":[],"Name":"","Config":null,"NetworkingConfig":null,"Platform":null,"AdjustCPUShares":false}]
"""#

    /// `GET /v1.41/containers/{id}/stats?stream=false&one-shot=true` of a busy container (cgroup v1 host).
    static let statsRunningFirst = #"""
{"read":"2026-11-29T13:14:04.787104268Z","preread":"0001-01-01T00:00:00Z","pids_stats":{"current":2},"blkio_stats":{"io_service_bytes_recursive":[],"io_serviced_recursive":null,"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,"io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null},"num_procs":0,"storage_stats":{},"cpu_stats":{"cpu_usage":{"total_usage":2316156793,"percpu_usage":[492951702,1823205091],"usage_in_kernelmode":28000000,"usage_in_usermode":2288156793},"system_cpu_usage":328738355079,"online_cpus":2,"cpu":0,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"precpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"cpu":0,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"memory_stats":{"usage":417792,"limit":25276502016},"name":"fmdock-running","Id":"b6b02bd0f87669fe00f8bbc9fba394e687e17229d4648d0e80e31e1e484ab4aa","networks":{"network":{"rx_bytes":516,"rx_packets":0,"rx_errors":0,"rx_dropped":0,"tx_bytes":1486,"tx_packets":0,"tx_errors":0,"tx_dropped":0}}}
"""#

    /// The same container about one second later.
    static let statsRunningSecond = #"""
{"read":"2026-11-29T13:14:05.802566896Z","preread":"0001-01-01T00:00:00Z","pids_stats":{"current":2},"blkio_stats":{"io_service_bytes_recursive":[],"io_serviced_recursive":null,"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,"io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null},"num_procs":0,"storage_stats":{},"cpu_stats":{"cpu_usage":{"total_usage":2920100747,"percpu_usage":[492951702,2427251385],"usage_in_kernelmode":36000000,"usage_in_usermode":2884100747},"system_cpu_usage":330669065994,"online_cpus":2,"cpu":0,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"precpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"cpu":0,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"memory_stats":{"usage":417792,"limit":25276502016},"name":"fmdock-running","Id":"b6b02bd0f87669fe00f8bbc9fba394e687e17229d4648d0e80e31e1e484ab4aa","networks":{"network":{"rx_bytes":516,"rx_packets":0,"rx_errors":0,"rx_dropped":0,"tx_bytes":1486,"tx_packets":0,"tx_errors":0,"tx_dropped":0}}}
"""#

    /// `DELETE /v1.41/containers/nonexistent-fmdock?force=1` (404).
    static let removeNotFound = #"""
{"cause":"no such container","message":"no container with name or ID \"nonexistent-fmdock\" found: no such container","response":404}
"""#

    /// `GET /v1.41/version`.
    static let version = #"""
{"Platform":{"Name":"linux/amd64/debian-12"},"Components":[{"Name":"Podman Engine","Version":"4.3.1","Details":{"APIVersion":"4.3.1","Arch":"amd64","BuildTime":"1970-01-01T00:00:00Z","Experimental":"false","GitCommit":"","GoVersion":"go1.19.8","KernelVersion":"6.18.44-fc-v669","MinAPIVersion":"4.0.0","Os":"linux"}},{"Name":"Conmon","Version":"conmon version 2.1.6, commit: unknown","Details":{"Package":"conmon_2.1.6+ds1-1_amd64"}},{"Name":"OCI Runtime (runc)","Version":"runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\nlibseccomp: 2.5.4","Details":{"Package":"runc_1.1.5+ds1-1+deb12u1_amd64"}}],"Version":"4.3.1","ApiVersion":"1.41","MinAPIVersion":"1.24","GitCommit":"","GoVersion":"go1.19.8","Os":"linux","Arch":"amd64","KernelVersion":"6.18.44-fc-v669","BuildTime":"1970-01-01T00:00:00Z"}
"""#
}
