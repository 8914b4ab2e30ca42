using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime.Descriptors;

namespace Nango.Runner.Execution;

/// <summary>
/// The state of an engine's built-in objects: every object the global object reaches through properties and
/// prototypes (Object.prototype, Array.prototype and their methods, JSON, Math, Promise, ...), with its own members and
/// prototype. An engine's global snapshot puts its global bindings back after a task, not what a script did to these
/// objects (<c>Array.prototype.x = …</c>, <c>JSON.parse = …</c>, <c>delete Object.assign</c>): an engine whose built-ins
/// differ from the fingerprint taken when it was built is not given to another task.
/// </summary>
internal sealed class BuiltInsFingerprint
{
    private readonly ObjectState[] _objects;

    private BuiltInsFingerprint(ObjectState[] objects) => _objects = objects;

    /// <summary>How many objects the fingerprint covers.</summary>
    public int Count => _objects.Length;

    public static BuiltInsFingerprint Capture(Engine engine)
    {
        var seen = new HashSet<ObjectInstance>(ReferenceEqualityComparer.Instance);
        var pending = new Queue<ObjectInstance>();
        var states = new List<ObjectState>();
        void ReachFrom(ObjectState state)
        {
            foreach (var value in state.Members.SelectMany(m => new[] { m.Value, m.Getter, m.Setter }).Prepend(state.Prototype))
            {
                if (value is ObjectInstance reached && seen.Add(reached))
                {
                    pending.Enqueue(reached);
                }
            }
        }
        // The global object itself is the global snapshot's: only what it reaches is walked.
        var global = engine.Global;
        seen.Add(global);
        ReachFrom(ObjectState.Of(global));
        while (pending.TryDequeue(out var next))
        {
            var state = ObjectState.Of(next);
            // A plain method (only its length and name of its own), most of the walk: not compared after each task, which
            // keeps the check near 0.1 ms instead of 0.5 ms. Replacing it (Array.prototype.map = …) still shows on its
            // holder; what goes unseen is a member added to the function itself.
            if (!state.IsPlainMethod)
            {
                states.Add(state);
            }
            ReachFrom(state);
        }
        return new BuiltInsFingerprint([.. states]);
    }

    /// <summary>Whether every built-in object still has the members, prototype and extensibility it had.</summary>
    public bool Matches()
    {
        foreach (var captured in _objects)
        {
            if (!captured.StillMatches())
            {
                return false;
            }
        }
        return true;
    }

    private readonly record struct Member(JsValue Key, JsValue? Value, JsValue? Getter, JsValue? Setter, bool Enumerable, bool Writable, bool Configurable)
    {
        public static Member Of(JsValue key, PropertyDescriptor property) => property.IsAccessorDescriptor()
            ? new Member(key, null, property.Get, property.Set, property.Enumerable, false, property.Configurable)
            : new Member(key, property.Value, null, null, property.Enumerable, property.Writable, property.Configurable);

        public bool Same(Member other) =>
            Same(Key, other.Key) && Same(Value, other.Value) && Same(Getter, other.Getter) && Same(Setter, other.Setter)
            && Enumerable == other.Enumerable && Writable == other.Writable && Configurable == other.Configurable;

        /// <summary>The same object, or equal primitives (numbers, strings, symbols by identity).</summary>
        private static bool Same(JsValue? a, JsValue? b) =>
            ReferenceEquals(a, b) || (a is not null && b is not null && a is not ObjectInstance && a.Equals(b));
    }

    private sealed record ObjectState(ObjectInstance Object, ObjectInstance? Prototype, bool Extensible, Member[] Members)
    {
        public bool IsPlainMethod => Object.IsCallable() && Members.All(m => m.Key is JsString { } key && key.ToString() is "length" or "name");

        public static ObjectState Of(ObjectInstance value)
        {
            var keys = value.GetOwnPropertyKeys();
            var members = new Member[keys.Count];
            for (var i = 0; i < keys.Count; i++)
            {
                members[i] = Member.Of(keys[i], value.GetOwnProperty(keys[i]));
            }
            return new ObjectState(value, value.Prototype, value.Extensible, members);
        }

        /// <summary>Whether <see cref="Object"/> still has this prototype, extensibility and members, read in place.</summary>
        public bool StillMatches()
        {
            if (!ReferenceEquals(Prototype, Object.Prototype) || Extensible != Object.Extensible)
            {
                return false;
            }
            var keys = Object.GetOwnPropertyKeys();
            if (keys.Count != Members.Length)
            {
                return false;
            }
            for (var i = 0; i < Members.Length; i++)
            {
                if (!Members[i].Same(Member.Of(keys[i], Object.GetOwnProperty(keys[i]))))
                {
                    return false;
                }
            }
            return true;
        }
    }
}
