// The home page: ask the API who the stored token belongs to.
"use strict";

const status = document.getElementById("status");
const logout = document.getElementById("logout");

function notLoggedIn() {
  localStorage.removeItem("token");
  status.textContent = "You are not logged in. Taking you to the login page…";
  setTimeout(() => { location.assign("/login"); }, 3000);
}

logout.addEventListener("click", () => {
  localStorage.removeItem("token");
  location.assign("/login");
});

async function main() {
  const token = localStorage.getItem("token");
  if (!token) {
    notLoggedIn();
    return;
  }
  try {
    const res = await fetch("/user", { headers: { Authorization: "Bearer " + token } });
    if (!res.ok) {
      notLoggedIn();
      return;
    }
    const user = await res.json();
    status.textContent = "You are logged in as " + user.name + ".";
    logout.hidden = false;
  } catch (e) {
    status.textContent = "The server cannot be reached.";
  }
}

main();
