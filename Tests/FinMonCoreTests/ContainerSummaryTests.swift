import Testing

@testable import FinMonCore

@Suite struct ContainerSummaryTests {
    private func decode(_ json: String) throws -> [ContainerSummary] {
        try ContainerSummary.list(json: JSONParser.parse(json))
    }

    @Test func decodesThePodmanList() throws {
        let list = try decode(PodmanFixtures.containersList)
        #expect(list.map(\.name) == ["fmdock-running", "fmdock-exited"])
        #expect(list.map(\.state) == ["running", "exited"])
    }

    @Test func nullOrMissingFieldsBecomeEmptyOrNil() throws {
        let list = try decode(#"[{"Id":"a","Names":null,"Labels":null},{"Id":"b"}]"#)
        #expect(list == [ContainerSummary(id: "a"), ContainerSummary(id: "b")])
        #expect(list[0].name == nil)
    }

    @Test func wrongTypesInOptionalFieldsAreIgnored() throws {
        let list = try decode(#"[{"Id":"a","Names":"oops","Labels":{"k":1},"State":7,"Status":["x"]}]"#)
        #expect(list == [ContainerSummary(id: "a")])
    }

    @Test func nameWithoutLeadingSlashIsKept() {
        #expect(ContainerSummary(id: "a", names: ["plain", "/second"]).name == "plain")
    }

    @Test(arguments: [#"[{"Names":["/x"]}]"#, #"[{"Id":7}]"#, #"[1]"#, #"{"Id":"a"}"#])
    func aListThatIsNotAnArrayOfEntriesWithIdFailsToDecode(json: String) {
        #expect {
            try decode(json)
        } throws: { error in
            guard case .decoding(let reason)? = error as? DockerError else { return false }
            return !reason.isEmpty
        }
    }
}
