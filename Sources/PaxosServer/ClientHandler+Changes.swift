import PaxosCore
import PaxosWire

/// `CHANGES` (`ChangesCommand`): the resumable watch, served from this node's applied slots.
/// Not linearizable, as etcd's watch is not: a node that is behind answers what it has, and its
/// `next` revision tells the watcher where to go on, here or elsewhere.
extension ClientHandler {
    func changes(_ command: ChangesCommand, done: @escaping (RESPValue) -> Void) {
        let groups = node.groupMap.count
        let group: GroupID
        switch command.group {
        case nil where groups > 1:
            return done(.error(.err, "this node runs \(groups) groups and revisions are per group: name one with GROUP <g> (0 to \(groups - 1))"))
        case nil:
            group = GroupID(rawValue: 0)
        case let named?:
            guard named.rawValue < groups else {
                return done(.error(.err, "GROUP \(named.rawValue) does not exist: this node runs groups 0 to \(groups - 1)"))
            }
            group = named
        }
        node.groups[Int(group.rawValue)].readChanges(command.query, blockMilliseconds: command.blockMilliseconds) { result in
            switch result {
            case .success(let answer): done(ChangesCommand.render(answer))
            case .failure(let error): done(.error(.err, "cannot read the changes: \(error)"))
            }
        }
    }
}
