import ArgumentParser
import Foundation
import RelanceStore

/// `relance user add`: dashboard accounts, created by whoever runs the server.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage dashboard accounts.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a dashboard account; the password is read from standard input, never from the command line.")

        @Option(help: "The address the person signs in with.")
        var email: String

        @Flag(
            help: "Read the password from standard input (its first line). Required, so it never sits in shell history."
        )
        var passwordStdin = false

        @Option(help: "owner (manages users and settings) or staff (daily work).")
        var role: String = "owner"

        @OptionGroup var storage: DatabaseOptions

        func validate() throws {
            guard passwordStdin else {
                throw ValidationError("give the password on standard input with --password-stdin")
            }
            guard UserRole(rawValue: role) != nil else { throw ValidationError("--role must be owner or staff") }
        }

        func run() async throws {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CommandFailure("no password on standard input")
            }
            let store = try storage.openStore()
            do {
                let user = try await store.addUser(
                    email: email, password: line, role: UserRole(rawValue: role) ?? .staff, now: Date())
                printError("added \(user.email) (\(user.role.rawValue)); sign in at /login")
            } catch let error as AccountError {
                switch error {
                case .duplicateEmail: throw CommandFailure("an account with this email already exists")
                case .invalidEmail: throw CommandFailure("--email does not look like an email address")
                case .weakPassword: throw CommandFailure("the password must be at least 10 characters")
                case .lastOwner: throw CommandFailure("the last owner cannot be removed")
                case .busy: throw CommandFailure("could not hash the password now; try again")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dashboard accounts.")

        @OptionGroup var storage: DatabaseOptions

        func run() async throws {
            for user in try await storage.openStore().users() {
                print("\(user.id)\t\(user.role.rawValue)\t\(user.email)")
            }
        }
    }
}
