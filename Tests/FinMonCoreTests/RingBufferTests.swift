import Testing
@testable import FinMonCore

@Test func ringBufferRejectsCapacityBelowOne() {
    #expect(throws: RingBufferError.invalidCapacity(0)) { try RingBuffer<Int>(capacity: 0) }
    #expect(throws: RingBufferError.invalidCapacity(-3)) { try RingBuffer<Int>(capacity: -3) }
}

@Test func ringBufferOverwritesTheOldestAndReturnsIt() throws {
    var ring = try RingBuffer<Int>(capacity: 3)
    #expect(ring.isEmpty)
    #expect(ring.append(1) == nil)
    #expect(ring.append(2) == nil)
    #expect(ring.append(3) == nil)
    #expect(ring.isFull)
    #expect(ring.append(4) == 1)
    #expect(ring.append(5) == 2)
    #expect(Array(ring) == [3, 4, 5])
    #expect(ring.count == 3)
    #expect(ring.oldest == 3)
    #expect(ring.newest == 5)
}

@Test func ringBufferWrapsAroundOver1500Records() throws {
    var ring = try RingBuffer<Int>(capacity: 1000)
    for value in 0..<1500 { ring.append(value) }
    #expect(ring.count == 1000)
    #expect(Array(ring) == Array(500..<1500))
    #expect(ring.element(at: 0) == 500)
    #expect(ring.element(at: 499) == 999)
    #expect(ring.element(at: 500) == 1000)
    #expect(ring.element(at: 999) == 1499)
    #expect(ring.element(fromNewest: 0) == 1499)
    #expect(ring.element(fromNewest: 999) == 500)
    #expect(ring.last(5) == [1495, 1496, 1497, 1498, 1499])
    #expect(ring.last(600) == Array(900..<1500))
}

@Test func ringBufferAccessorsReturnNilOutOfRange() throws {
    var ring = try RingBuffer<Int>(capacity: 4)
    #expect(ring.oldest == nil)
    #expect(ring.newest == nil)
    ring.append(7)
    ring.append(8)
    #expect(ring.element(at: -1) == nil)
    #expect(ring.element(at: 2) == nil)
    #expect(ring.element(at: .max) == nil)
    #expect(ring.element(fromNewest: -1) == nil)
    #expect(ring.element(fromNewest: 2) == nil)
    #expect(ring.element(fromNewest: .min) == nil)
}

@Test func ringBufferLastClampsItsCount() throws {
    var ring = try RingBuffer<Int>(capacity: 5)
    for value in 1...3 { ring.append(value) }
    #expect(ring.last(0) == [])
    #expect(ring.last(-4) == [])
    #expect(ring.last(2) == [2, 3])
    #expect(ring.last(10) == [1, 2, 3])
    #expect(ring.last(.max) == [1, 2, 3])
}

@Test func ringBufferOfCapacityOneKeepsOnlyTheNewest() throws {
    var ring = try RingBuffer<String>(capacity: 1)
    #expect(ring.append("a") == nil)
    #expect(ring.append("b") == "a")
    #expect(Array(ring) == ["b"])
}

@Test func ringBufferRemoveAllKeepsCapacityAndRestartsOrder() throws {
    var ring = try RingBuffer<Int>(capacity: 3)
    for value in 0..<5 { ring.append(value) }
    ring.removeAll()
    #expect(ring.isEmpty)
    #expect(ring.capacity == 3)
    for value in 10..<14 { ring.append(value) }
    #expect(Array(ring) == [11, 12, 13])
}

@Test func ringBufferWithHugeCapacityAllocatesLazily() throws {
    var ring = try RingBuffer<Int>(capacity: .max)
    ring.append(1)
    #expect(ring.count == 1)
    #expect(!ring.isFull)
}

@Test func ringBufferEqualityIsLogicalNotPhysical() throws {
    var rotated = try RingBuffer<Int>(capacity: 3)
    for value in 0..<5 { rotated.append(value) }
    var straight = try RingBuffer<Int>(capacity: 3)
    for value in 2..<5 { straight.append(value) }
    #expect(rotated == straight)
    straight.append(5)
    #expect(rotated != straight)
    var otherCapacity = try RingBuffer<Int>(capacity: 4)
    for value in 2..<5 { otherCapacity.append(value) }
    #expect(Array(otherCapacity) == Array(rotated))
    #expect(otherCapacity != rotated)
}
